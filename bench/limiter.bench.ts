// The fleet-wide limiter under load: 4 worker processes against a simulator limited to
// LIMIT requests/s for about DURATION_S seconds. Prints figures; asserts nothing.
//   npm run bench:limiter            (LIMIT=200 DURATION_S=30 WORKERS=4 by default)
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { createProducerContext } from '../src/producer-context.ts';
import { waitForReady } from '../src/redis.ts';
import { startSimulatorProcess } from '../src/simulator/process.ts';
import { acceptedRatePerS } from '../src/simulator/sms.ts';
import { benchPrefix, deletePrefix, prioritiseSimulator, REDIS_URL, spawnWorkers, stopWorkers, waitForAccepted } from './lib/fleet-bench.ts';

const LIMIT = Number(process.env.LIMIT ?? 200);
const DURATION_S = Number(process.env.DURATION_S ?? 30);
const WORKERS = Number(process.env.WORKERS ?? 4);
const total = LIMIT * DURATION_S;

const sim = await startSimulatorProcess({ rps: LIMIT });
const simulatorScheduling = await prioritiseSimulator(sim.pid);
const prefix = benchPrefix('lim');
const env = { REDIS_URL, FLEET_PREFIX: prefix, CXONE_BASE_URL: sim.url, CXONE_RATE_LIMIT_RPS: String(LIMIT), WORKER_CONCURRENCY: '32' };
const ctx = createProducerContext(loadConfig(env), { role: 'bench', logger: createLogger({ level: 'warn' }) });
await waitForReady(ctx.redis);

const now = Date.now();
const items = Array.from({ length: total }, (_, i) => ({
  data: {
    accountId: 'default', batchId: 'bench', messageId: `bench.${i}`, idempotencyKey: `bench.${i}`, to: '+14155550123',
    from: 'ACME', text: 'limiter bench', campaignId: 'c1', encoding: 'GSM-7' as const, segments: 1, notAfter: now + 3_600_000,
  },
  opts: { jobId: `bench.${i}` },
}));
await ctx.enqueuer.enqueueBulk('smsSend', items, 1000);
console.log(`enqueued ${total} sms-send jobs; starting ${WORKERS} worker processes (limit ${LIMIT}/s)`);

const workers = await spawnWorkers(WORKERS, env, ['--queues', 'sms-send']);
const finished = await waitForAccepted(sim, total, DURATION_S * 3_000 + 30_000);
await stopWorkers(workers);
const s = await sim.stats();
const spanS = (s.sms.lastAcceptedAt! - s.sms.firstAcceptedAt!) / 1000;
const achieved = acceptedRatePerS(s.sms);
const apiRequests = Object.values(s.requests as Record<string, number>).reduce((a, b) => a + b, 0);
console.log(JSON.stringify({
  finished,
  workers: WORKERS,
  limitRps: LIMIT,
  simulatorScheduling,
  requestsSent: apiRequests,
  accepted: s.sms.accepted,
  durationS: Number(spanS.toFixed(2)),
  achievedRps: Number(achieved.toFixed(1)),
  ratio: Number((achieved / LIMIT).toFixed(4)),
  rateLimited429: s.rateLimited,
  peak1s: s.peak1s,
  peakOverLimit: s.peak1s > LIMIT,
  tokenRequests: s.tokenRequests,
}, null, 2));

await ctx.close();
await sim.stop();
await deletePrefix(prefix);
