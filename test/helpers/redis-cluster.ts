// Fault injection on the local Redis Cluster (scripts/redis-cluster.mjs) the tests run on
// when REDIS_CLUSTER_NODES is set: which master owns a key's slot, killing it, and bringing
// the cluster back to 3 masters and 3 replicas afterwards.
import { Redis } from 'ioredis';
import { startCluster } from '../../scripts/redis-cluster.mjs';
import { clusterNodes } from './redis.ts';

export interface ClusterNodeInfo {
  port: number;
  role: 'master' | 'replica';
  failing: boolean;
  slots: [number, number][];
}

async function onNode<T>(port: number, run: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => undefined); // a killed node refuses: the caller's promise says so
  try {
    await r.connect();
    return await run(r);
  } finally {
    r.disconnect();
  }
}

/** `run` on the first node of REDIS_CLUSTER_NODES that answers (one may have been killed). */
async function onLiveNode<T>(run: (r: Redis) => Promise<T>): Promise<T> {
  for (const { port } of clusterNodes()) {
    const result = await onNode(port, run).then((value) => ({ value }), () => undefined);
    if (result) return result.value;
  }
  throw new Error('no node of REDIS_CLUSTER_NODES answers');
}

/** The cluster as one live node sees it (CLUSTER NODES). */
export async function clusterView(): Promise<ClusterNodeInfo[]> {
  const text = await onLiveNode((r) => r.cluster('NODES') as Promise<string>);
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [, addr, flags, , , , , , ...slots] = line.split(' ');
      return {
        port: Number(addr!.split('@')[0]!.split(':')[1]),
        role: flags!.includes('master') ? ('master' as const) : ('replica' as const),
        failing: /fail/.test(flags!),
        slots: slots.filter((s) => /^\d+(-\d+)?$/.test(s)).map((s) => {
          const [a, b] = s.split('-').map(Number);
          return [a!, b ?? a!] as [number, number];
        }),
      };
    });
}

/** The port of the live master that serves the slot of `key` (a hash tag decides it). */
export async function masterPortOf(key: string): Promise<number> {
  const slot = await onLiveNode((r) => r.cluster('KEYSLOT', key));
  const owner = (await clusterView()).find((n) => n.role === 'master' && !n.failing && n.slots.some(([a, b]) => slot >= a && slot <= b));
  if (!owner) throw new Error(`no live master serves slot ${slot} of ${key}`);
  return owner.port;
}

/** SIGKILL: a crash, not a shutdown; the node's replica is promoted after cluster-node-timeout. */
export async function killNode(port: number): Promise<void> {
  const info = await onNode(port, (r) => r.info('server'));
  const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
  if (!pid) throw new Error(`no process_id in INFO of node ${port}`);
  process.kill(pid, 'SIGKILL');
}

/**
 * Restarts any killed node (it rejoins as a replica) and waits until every node is ok. The
 * cluster must have been started with the script's default --dir (as with-redis does).
 */
export async function restoreCluster(): Promise<void> {
  await startCluster({ basePort: Math.min(...clusterNodes().map((n) => n.port)) });
}
