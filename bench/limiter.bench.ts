// The fleet-wide limiter under load: WORKERS worker processes, told the account's budget is
// LIMIT requests/s, against a simulator limited to LIMIT and counting each way upstreams
// count (sliding second, token bucket, fixed minute, hidden = sliding with 429s that carry
// no Retry-After). One warm fleet runs every mode in turn. Prints figures; asserts nothing.
//   npm run bench:limiter     (LIMIT=200 DURATION_S=20 WORKERS=4 MODES=sliding,token-bucket,fixed-minute,hidden)
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { createProducerContext } from '../src/producer-context.ts';
import { waitForReady } from '../src/redis.ts';
import { startSimulatorProcess } from '../src/simulator/process.ts';
import { defaultBurst } from '../src/simulator/rate-limit.ts';
import { acceptedRatePerS } from '../src/simulator/sms.ts';
import { benchPrefix, deletePrefix, prioritiseSimulator, REDIS_ENV, spawnWorkers, stopWorkers, waitForAccepted, waitForDrained, waitUntilServing } from './lib/fleet-bench.ts';

const LIMIT = Number(process.env.LIMIT ?? 200);
const DURATION_S = Number(process.env.DURATION_S ?? 20);
const WORKERS = Number(process.env.WORKERS ?? 4);
const MODES = (process.env.MODES ?? 'sliding,token-bucket,fixed-minute,hidden').split(',').filter(Boolean);
// Calls the warm fleet sends before the first measured mode (a fresh process compiles its hot paths).
const WARMUP = Number(process.env.WARMUP ?? LIMIT * 5);

const sim = await startSimulatorProcess({ rps: LIMIT });
const simulatorScheduling = await prioritiseSimulator(sim.pid);
const prefix = benchPrefix('lim');
const env = { ...REDIS_ENV, FLEET_PREFIX: prefix, CXONE_BASE_URL: sim.url, CXONE_RATE_LIMIT_RPS: String(LIMIT), WORKER_CONCURRENCY: '32' };
const ctx = createProducerContext(loadConfig(env), { role: 'bench', logger: createLogger({ level: 'warn' }) });
await waitForReady(ctx.redis);
const queue = ctx.queues.get('smsSend');

let seq = 0;
async function enqueue(n: number) {
  const notAfter = Date.now() + 3_600_000;
  const items = Array.from({ length: n }, () => {
    const id = `bench.${seq++}`;
    const data = { accountId: 'default', batchId: 'bench', messageId: id, idempotencyKey: id, to: '+14155550123', from: 'ACME', text: 'limiter bench', campaignId: 'c1', encoding: 'GSM-7' as const, segments: 1, notAfter };
    return { data, opts: { jobId: id } };
  });
  await ctx.enqueuer.enqueueBulk('smsSend', items, 1000);
}

async function run(n: number) {
  await sim.reset();
  await enqueue(n);
  await queue.resume();
  const finished = await waitForAccepted(sim, n, (n / LIMIT) * 3_000 + 30_000);
  await waitForDrained(queue);
  await queue.pause();
  return { finished, stats: await sim.stats() };
}

await queue.pause();
const workers = await spawnWorkers(WORKERS, env, ['--queues', 'sms-send']);
await waitUntilServing(workers);
const warm = await run(WARMUP);
let tokenRequests = warm.stats.tokenRequests; // over the whole run: the fleet's one token comes in the warm-up
const rows = [];
for (const mode of MODES) {
  await sim.configure({ rateLimit: { rps: LIMIT, mode } });
  const { finished, stats: s } = await run(LIMIT * DURATION_S);
  const achieved = acceptedRatePerS(s.sms);
  rows.push({
    mode: mode === 'token-bucket' ? `token-bucket (burst ${defaultBurst(LIMIT)})` : mode,
    finished,
    ratio: Number((achieved / LIMIT).toFixed(4)),
    achievedRps: Number(achieved.toFixed(1)),
    rateLimited429: s.rateLimited,
    peak1s: s.peak1s,
    // Evenly paced at the limit, 100 ms hold LIMIT / 10.
    peak100ms: s.peak100ms,
  });
  tokenRequests += s.tokenRequests;
}
await stopWorkers(workers);
console.log(JSON.stringify({ workers: WORKERS, limitRps: LIMIT, durationS: DURATION_S, simulatorScheduling, tokenRequests, warmUp: { calls: WARMUP, rateLimited429: warm.stats.rateLimited } }, null, 2));
console.table(rows);

await ctx.close();
await sim.stop();
await deletePrefix(prefix);
