// Why a worker's own Redis connection is not auto-pipelined: a BullMQ worker paced at
// PACE_MS per job (as the rate limiter paces sends) runs the same three commands per job
// as the send path's bookkeeping, once over a plain connection and once over an
// auto-pipelined one, in this process, side by side in interleaved rounds. Prints CPU per
// job and young-generation GC (scavenge) pauses for each. Prints figures only.
//   npx tsx bench/redis-gc.bench.ts        (JOBS=4000 ROUNDS=3 PACE_MS=2 by default)
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { benchPrefix, deletePrefix, REDIS_URL } from './lib/fleet-bench.ts';

const JOBS = Number(process.env.JOBS ?? 4_000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const PACE_MS = Number(process.env.PACE_MS ?? 2);

let scavenges: number[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) scavenges.push(e.duration);
  }
}).observe({ entryTypes: ['gc'] });

async function run(autoPipelining: boolean) {
  const prefix = benchPrefix(`gc-${autoPipelining ? 'ap' : 'plain'}`);
  const connection = { maxRetriesPerRequest: null };
  const queue = new Queue('gc', { connection: new Redis(REDIS_URL, connection), prefix });
  const jobs = Array.from({ length: JOBS }, (_, i) => ({ name: 'm', data: { to: `+1415${2_000_000 + i}`, text: `Your code is ${i}` }, opts: { jobId: `j${i}` } }));
  for (let i = 0; i < JOBS; i += 1_000) await queue.addBulk(jobs.slice(i, i + 1_000));
  const commands = new Redis(REDIS_URL, { ...connection, enableAutoPipelining: autoPipelining });
  let nextSlot = 0;
  let done = 0;
  let measureFrom: { cpu: NodeJS.CpuUsage; at: number } | undefined;
  const skip = Math.floor(JOBS / 10); // the first tenth warms up, unmeasured
  const finished = new Promise<void>((resolve) => {
    const worker = new Worker(
      'gc',
      async (job) => {
        // Wait for a paced slot, then the reads and writes a send does around its call.
        const now = performance.now();
        nextSlot = Math.max(nextSlot, now) + PACE_MS;
        await delay(nextSlot - now);
        await Promise.all([commands.hgetall(`${prefix}:msg:${job.id}`), commands.sismember(`${prefix}:out`, (job.data as { to: string }).to)]);
        await commands.hset(`${prefix}:msg:${job.id}`, 'state', 'dispatched');
      },
      { connection: new Redis(REDIS_URL, connection), prefix, concurrency: 32 },
    );
    worker.on('completed', () => {
      done++;
      if (done === skip) {
        scavenges = [];
        measureFrom = { cpu: process.cpuUsage(), at: performance.now() };
      }
      if (done === JOBS) void worker.close().then(() => resolve());
    });
  });
  await finished;
  const cpu = process.cpuUsage(measureFrom!.cpu);
  const measured = JOBS - skip;
  const pauses = scavenges.slice().sort((a, b) => a - b);
  const result = {
    autoPipelining,
    cpuPerJobUs: Math.round((cpu.user + cpu.system) / measured),
    scavenges: pauses.length,
    scavengeMsTotal: Number(pauses.reduce((a, b) => a + b, 0).toFixed(1)),
    scavengeMsMax: Number((pauses.at(-1) ?? 0).toFixed(1)),
    scavengesOver3Ms: pauses.filter((p) => p > 3).length,
  };
  await queue.obliterate({ force: true });
  await queue.close();
  commands.disconnect();
  await deletePrefix(prefix);
  return result;
}

const rounds = [];
for (let i = 0; i < ROUNDS; i++) rounds.push(await run(false), await run(true));
console.log(JSON.stringify({ jobs: JOBS, paceMs: PACE_MS, rounds }, null, 2));
process.exit(0);
