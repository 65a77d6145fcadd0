// Probe for the open round-4 bug (docs/adr/0005-cluster-failover.md, "Open: idle workers"):
// idle BullMQ Workers on the local cluster (ports 7300-7305), the master of their slot
// SIGKILLed, a job added 2 s after the promotion; prints whether it was taken within 40 s
// and, when not, the state of every Worker, Cluster and node connection.
// Usage: npx tsx scripts/chaos/idle-worker-failover.ts [runs=5] [workers=6]
import { setTimeout as delay } from 'node:timers/promises';
import { Queue, Worker } from 'bullmq';
import { Redis, type Cluster } from 'ioredis';
import { createRedis } from '../../src/redis.ts';
import { startChaosCluster } from './cluster.ts';

const RUNS = Number(process.argv[2] ?? 5);
const WORKERS = Number(process.argv[3] ?? 6);
const BASE_PORT = 7300;
const TAKE_WAIT_MS = 40_000;

/** BullMQ internals read for the diagnosis only (bullmq 6.7). */
interface WorkerInternals {
  drained: boolean;
  blockUntil: number;
  limitUntil: number;
  waiting: unknown;
  backend: { blockingConnection?: { _client?: Cluster } };
}

function describeCluster(cluster: Cluster): string {
  const internals = cluster as unknown as { offlineQueue: { length: number } };
  const nodes = cluster.nodes().map((n) => `${n.options.port}:${n.status}${n.options.readOnly ? '(replica)' : ''}`);
  return `${cluster.status}, offline queue ${internals.offlineQueue.length}, pool ${nodes.join(' ')}`;
}

async function describeNode(address: string, keyPrefix: string): Promise<string> {
  const [host, port] = address.split(':');
  const node = new Redis({ host, port: Number(port), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  node.on('error', () => undefined);
  try {
    await node.connect();
    const role = /role:(\w+)/.exec(await node.info('replication'))?.[1];
    const clients = String(await node.client('LIST'))
      .split('\n')
      .filter((line) => line && !line.includes('cmd=client|list'))
      .map((line) => `[${/ cmd=(\S+)/.exec(line)?.[1]} idle=${/ idle=(\d+)/.exec(line)?.[1]} flags=${/ flags=(\w+)/.exec(line)?.[1]}]`);
    let queue = '';
    if (role === 'master' && (await node.exists(`${keyPrefix}:probe:meta`))) {
      const marker = await node.zrange(`${keyPrefix}:probe:marker`, '0', '-1', 'WITHSCORES');
      queue = `; queue: wait ${await node.llen(`${keyPrefix}:probe:wait`)}, marker ${JSON.stringify(marker)}`;
    }
    return `${address} ${role}: ${clients.join(' ')}${queue}`;
  } catch {
    return `${address} down`;
  } finally {
    node.disconnect();
  }
}

async function probe(run: number): Promise<boolean> {
  const cluster = await startChaosCluster(BASE_PORT);
  const settings = { url: '', clusterNodes: cluster.nodes };
  const workerRedis = createRedis(settings, 'worker') as Cluster;
  const commands = createRedis(settings, 'commands');
  const prefix = `{probe${run}}`;
  const queue = new Queue('probe', { connection: commands, prefix });
  const taken = new Set<string>();
  const workers = Array.from({ length: WORKERS }, () => new Worker('probe', (job) => Promise.resolve(void taken.add(job.id ?? '')), { connection: workerRedis, prefix }));
  try {
    for (const w of workers) w.on('error', () => undefined);
    await Promise.all(workers.map((w) => w.waitUntilReady()));
    await queue.add('before', {}, { jobId: 'before' });
    await delay(1_500 + Math.random() * 4_000); // the kill lands anywhere in a 5 s wait
    const killed = await cluster.killMasterOf(`${prefix}:probe`);
    await delay(2_000);
    await queue.add('after', {}, { jobId: 'after' });
    const t = Date.now();
    while (!taken.has('after') && Date.now() - t < TAKE_WAIT_MS) await delay(200);
    const ok = taken.has('after');
    console.log(`run ${run}: failover ${killed.failoverMs} ms, job added after it ${ok ? 'taken' : 'NOT TAKEN'}`);
    if (!ok) {
      console.log(`  shared worker Cluster: ${describeCluster(workerRedis)}`);
      workers.forEach((w, i) => {
        const x = w as unknown as WorkerInternals;
        const blocking = x.backend.blockingConnection?._client;
        console.log(`  worker ${i}: running ${w.isRunning()}, drained ${x.drained}, blockUntil ${x.blockUntil}, limitUntil ${x.limitUntil}, waiting ${Boolean(x.waiting)}; blocking Cluster ${blocking ? describeCluster(blocking) : '?'}`);
      });
      for (const node of cluster.nodes) console.log(`  ${await describeNode(node, prefix)}`);
    }
    return ok;
  } finally {
    await Promise.all(workers.map((w) => w.close(true).catch(() => undefined)));
    await queue.close().catch(() => undefined);
    workerRedis.disconnect();
    commands.disconnect();
    await cluster.stop();
  }
}

let taken = 0;
for (let run = 1; run <= RUNS; run++) if (await probe(run)) taken++;
console.log(`job taken after the failover in ${taken} of ${RUNS} runs`);
process.exit(taken === RUNS ? 0 : 1);
