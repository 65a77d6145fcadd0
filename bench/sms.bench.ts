// SMS batches through the fleet: a MESSAGES-message batch through 2 and 4 worker
// processes against a simulator limited to LIMIT requests/s, and the intake's enqueue
// rate against raw addBulk of the same payloads in the same run. Prints figures only.
//   npx tsx bench/sms.bench.ts        (MESSAGES=20000 LIMIT=500 by default)
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { createProducerContext } from '../src/producer-context.ts';
import { waitForReady } from '../src/redis.ts';
import { startSimProcess } from './lib/sim-process.ts';
import { createSmsServices } from '../src/sms/services.ts';
import { createThreadValidator } from '../src/sms/row-validator.ts';
import { benchPrefix, deletePrefix, REDIS_URL, rssMiB, spawnWorkers, stopWorkers, waitForAccepted } from './lib/fleet-bench.ts';

const MESSAGES = Number(process.env.MESSAGES ?? 20_000);
const LIMIT = Number(process.env.LIMIT ?? 500);
const logger = createLogger({ level: 'warn' });
const numbers = Array.from({ length: MESSAGES }, (_, i) => `+1415${2_000_000 + i}`);
const rows = () => numbers.map((to, i) => ({ row: i + 1, input: { to, text: `Your code is ${100_000 + i}. It expires in 5 minutes.` } }));

async function enqueueRates() {
  const prefix = benchPrefix('enq');
  const ctx = createProducerContext(loadConfig({ REDIS_URL, FLEET_PREFIX: prefix }), { role: 'bench', logger });
  await waitForReady(ctx.redis);
  const sms = createSmsServices(ctx);
  await sms.consent.optIn(numbers);

  // As `sms send` runs it: rows validated in a thread beside the one that enqueues.
  const validator = createThreadValidator();
  await validator.prepare([], { batchId: 'warm-up', defaultRegion: 'US', maxSegments: 10 });
  let t = performance.now();
  const summary = await sms.intake.submit(rows(), { batchId: 'enq', defaults: { from: 'ACME', campaignId: 'c1' }, validator });
  const intakeS = (performance.now() - t) / 1000;
  await validator.close();

  // The same payloads, already built, straight into addBulk: the ceiling for any intake.
  const jobs = await ctx.queues.get('smsSend').getJobs(['waiting', 'prioritized'], 0, MESSAGES);
  const payloads = jobs.map((j) => ({ name: 'sms-send', data: j.data as unknown, opts: { jobId: `raw-${j.id}`, priority: 10 } }));
  const raw = ctx.queues.get('smsStatus'); // a different queue, so nothing collides
  t = performance.now();
  for (let i = 0; i < payloads.length; i += 500) await raw.addBulk(payloads.slice(i, i + 500));
  const rawS = (performance.now() - t) / 1000;
  await ctx.close();
  await deletePrefix(prefix);
  return {
    accepted: summary.accepted,
    intakePerS: Math.round(MESSAGES / intakeS),
    rawAddBulkPerS: Math.round(payloads.length / rawS),
    ratio: Number((MESSAGES / intakeS / (payloads.length / rawS)).toFixed(3)),
  };
}

async function throughput(workerCount: number) {
  const sim = await startSimProcess({ rateLimit: { rps: LIMIT, retryAfterS: 1 } });
  const prefix = benchPrefix(`sms${workerCount}`);
  const env = { REDIS_URL, FLEET_PREFIX: prefix, CXONE_BASE_URL: sim.url, CXONE_RATE_LIMIT_RPS: String(LIMIT), LOG_LEVEL: 'warn' };
  const ctx = createProducerContext(loadConfig(env), { role: 'bench', logger });
  await waitForReady(ctx.redis);
  const sms = createSmsServices(ctx);
  await sms.consent.optIn(numbers);
  await sms.intake.submit(rows(), { batchId: 'bench', defaults: { from: 'ACME', campaignId: 'c1' } });

  const workers = spawnWorkers(workerCount, env, ['--queues', 'sms-send']);
  let peakRss: number[] = [];
  const sampler = setInterval(() => {
    void rssMiB(workers.map((w) => w.pid!)).then((r) => (peakRss = r.map((v, i) => Math.max(v, peakRss[i] ?? 0))));
  }, 1000);
  const finished = await waitForAccepted(sim, MESSAGES, (MESSAGES / LIMIT) * 3_000 + 60_000);
  clearInterval(sampler);
  await stopWorkers(workers);
  const s = await sim.stats();
  const spanS = (s.sms.lastAcceptedAt! - s.sms.firstAcceptedAt!) / 1000;
  const achieved = (s.sms.accepted - 1) / spanS;
  const result = {
    workers: workerCount,
    finished,
    accepted: s.sms.accepted,
    duplicates: s.sms.duplicates,
    achievedRps: Number(achieved.toFixed(1)),
    ratio: Number((achieved / LIMIT).toFixed(4)),
    rateLimited429: s.rateLimited,
    peak1s: s.peak1s,
    tokenRequests: s.tokenRequests,
    workerPeakRssMiB: peakRss,
  };
  await ctx.close();
  await sim.stop();
  await deletePrefix(prefix);
  return result;
}

console.log(JSON.stringify({ messages: MESSAGES, limitRps: LIMIT, enqueue: await enqueueRates() }, null, 2));
// WORKERS="" measures the enqueue rate alone.
for (const n of (process.env.WORKERS ?? '2,4').split(',').filter(Boolean).map(Number)) console.log(JSON.stringify(await throughput(n), null, 2));
