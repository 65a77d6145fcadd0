// The local 3-master, 3-replica cluster (scripts/redis-cluster.mjs) for the chaos round that
// kills the master owning the fleet's slot, and waits until a replica has taken the slot over.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { startCluster, stopCluster } from '../redis-cluster.mjs';

export interface ClusterFaults {
  nodes: string[];
  /** SIGKILLs the master owning `key`'s slot; resolves once another node serves the slot. */
  killMasterOf(key: string): Promise<{ port: number; failoverMs: number }>;
  stop(): Promise<void>;
}

const FAILOVER_WAIT_MS = 30_000;

/** The port of the master serving `slot`, as `port`'s node sees it (undefined: none, or no answer). */
async function ownerOf(port: number, slot: number): Promise<number | undefined> {
  const node = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  try {
    await node.connect();
    const ranges = await node.cluster('SLOTS');
    return ranges.find(([from, to]) => slot >= from && slot <= to)?.[2]?.[1];
  } catch {
    return undefined;
  } finally {
    node.disconnect();
  }
}

async function serverPid(port: number): Promise<number> {
  const node = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
  try {
    const info = await node.info('server');
    return Number(/process_id:(\d+)/.exec(info)?.[1]);
  } finally {
    node.disconnect();
  }
}

export async function startChaosCluster(basePort: number): Promise<ClusterFaults> {
  const dir = await mkdtemp(join(tmpdir(), 'cxf-chaos-cluster-'));
  const opts = { basePort, dir };
  try {
    const { nodes } = await startCluster(opts);
    const ports = nodes.map((n) => Number(n.split(':')[1]));
    return {
      nodes,
      async killMasterOf(key) {
        const seed = new Redis({ host: '127.0.0.1', port: ports[0]!, maxRetriesPerRequest: 1 });
        const slot = Number(await seed.cluster('KEYSLOT', key));
        seed.disconnect();
        const master = await ownerOf(ports[0]!, slot);
        if (master === undefined) throw new Error(`no master serves slot ${slot}`);
        const pid = await serverPid(master);
        const t = Date.now();
        process.kill(pid, 'SIGKILL');
        const witness = ports.find((p) => p !== master)!;
        while (Date.now() - t < FAILOVER_WAIT_MS) {
          const owner = await ownerOf(witness, slot);
          if (owner !== undefined && owner !== master) return { port: master, failoverMs: Date.now() - t };
          await delay(100);
        }
        throw new Error(`no replica took over slot ${slot} within ${FAILOVER_WAIT_MS} ms`);
      },
      async stop() {
        await stopCluster(opts);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stopCluster(opts).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
