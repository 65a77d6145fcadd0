// What a cluster failover costs a worker's Redis commands: 8 loops of HINCRBY (a write, on
// one hash-tagged key) on one Cluster connection while the master owning that key's slot is
// SIGKILLed; prints how long commands stalled, how many failed and with what, and how long
// until the replica was promoted. Once with the fleet's 'commands' options (src/redis.ts),
// once with ioredis' defaults, each on a cluster restored to 3+3 first. Prints figures only.
//   node scripts/redis-cluster.mjs start && REDIS_CLUSTER_NODES=127.0.0.1:7000 npx tsx bench/cluster-failover.bench.ts
import { setTimeout as delay } from 'node:timers/promises';
import { Cluster, Redis, type ClusterOptions } from 'ioredis';
import { startCluster } from '../scripts/redis-cluster.mjs';
import { clusterOptionsFor } from '../src/redis.ts';

const seeds = (process.env.REDIS_CLUSTER_NODES ?? '').split(',').filter(Boolean);
if (seeds.length === 0) {
  console.error('REDIS_CLUSTER_NODES is not set: start the local cluster (node scripts/redis-cluster.mjs start) and pass its nodes');
  process.exit(2);
}
const nodes = seeds.map((s) => ({ host: s.split(':')[0]!, port: Number(s.split(':')[1]) }));
const basePort = Math.min(...nodes.map((n) => n.port));
const RUN_MS = Number(process.env.RUN_MS ?? 25_000);
const KILL_AFTER_MS = 2_000;

async function masterPid(c: Cluster, key: string): Promise<{ port: number; pid: number }> {
  const slot = Number(await c.cluster('KEYSLOT', key));
  const owner = ((await c.cluster('NODES')) as string).split('\n').find((l) => {
    const f = l.split(' ');
    return f[2]!.includes('master') && !f[2]!.includes('fail') && f.slice(8).some((r) => {
      const [a, b] = r.split('-').map(Number);
      return slot >= a! && slot <= (b ?? a!);
    });
  })!;
  const port = Number(owner.split(' ')[1]!.split('@')[0]!.split(':')[1]);
  const direct = new Redis({ host: '127.0.0.1', port });
  const pid = Number(/process_id:(\d+)/.exec(await direct.info('server'))![1]);
  direct.disconnect();
  return { port, pid };
}

async function round(label: string, options: ClusterOptions) {
  await startCluster({ basePort });
  const c = new Cluster(nodes, options);
  c.on('error', () => undefined);
  await new Promise((r) => c.once('ready', r));
  const key = `{bench-failover-${label}}:n`;
  const victim = await masterPid(c, key);
  let ok = 0;
  let maxStallMs = 0;
  let lastErrorAt = 0;
  const errors: Record<string, number> = {};
  const t0 = performance.now();
  let killedAt = 0;
  let firstOkAfterKill = 0;
  const loops = Array.from({ length: 8 }, async () => {
    while (performance.now() - t0 < RUN_MS) {
      const s = performance.now();
      try {
        await c.hincrby(key, 'n', 1);
        ok++;
        if (killedAt && !firstOkAfterKill && s > killedAt) firstOkAfterKill = performance.now();
      } catch (err) {
        const m = (err as Error).message.replace(/\d+\.\d+\.\d+\.\d+:\d+/g, 'host:port').slice(0, 70);
        errors[m] = (errors[m] ?? 0) + 1;
        lastErrorAt = performance.now();
      }
      maxStallMs = Math.max(maxStallMs, performance.now() - s);
      await delay(10);
    }
  });
  await delay(KILL_AFTER_MS);
  killedAt = performance.now();
  process.kill(victim.pid, 'SIGKILL');
  await Promise.all(loops);
  c.disconnect();
  const failed = Object.values(errors).reduce((a, n) => a + n, 0);
  console.log(`${label.padEnd(9)} killed :${victim.port}; ok ${ok}, failed ${failed}, longest command ${Math.round(maxStallMs)} ms, first write after the kill succeeded ${firstOkAfterKill ? Math.round(firstOkAfterKill - killedAt) : '-'} ms after it${lastErrorAt ? `, last error ${Math.round(lastErrorAt - killedAt)} ms after it` : ''}`);
  for (const [m, n] of Object.entries(errors)) console.log(`          ${n} x ${m}`);
}

await round('fleet', clusterOptionsFor('commands'));
await round('defaults', { redisOptions: { maxRetriesPerRequest: null }, enableOfflineQueue: true });
await startCluster({ basePort });
