// The status polls of many launches at once: 200 launches within 1 s on 4 worker processes
// against the simulator in a process of its own (limit 200 req/s), each start taking 60 s of
// time (QUEUED 20 s, INITIALIZING 40 s), polls every 3 s + U[0, 2 s) (the defaults).
// Figures: status polls per campaign (expected 60 s / 4 s = 15, within 10 %), the most polls
// in any 1 s against the mean polls/s over the polling (at most 1.5x: the jitter spreads the
// herd), 429s (0). Each round is a fresh simulator, prefix and workers; the targets are
// judged on the medians of the rounds. Prints PASS/FAIL per target and scheduling; exits 1
// on a FAIL.
// Like bench:limiter, each round first warms the fleet it measures: WARMUP_LAUNCHES launches
// (a short start) run through the fresh workers and simulator, which are then reset. A fresh
// Node process runs its code paths interpreted at first: profiled, the four cold workers'
// first second of launches took 2.7 CPU-seconds of the box's 2 cores (the next 0.4),
// starving the simulator, which then stamps the calls that waited together. The cold
// burst's figures are printed beside the measured ones, not judged (docs/adr/0002).
//   WARMUP_LAUNCHES=0 npm run bench:launch-polls   (measures the cold fleet)
//   npm run bench:launch-polls                  (ROUNDS=3 by default)
//   BENCH_SIM_SCHEDULING=realtime npm run bench:launch-polls   (the simulator gets the CPU first)
//   BENCH_SIM_SCHEDULING=both npm run bench:launch-polls       (rounds of each, interleaved)
import { performance } from 'node:perf_hooks';
import { createCampaignServices } from '../src/campaigns/services.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { createProducerContext } from '../src/producer-context.ts';
import { waitForReady } from '../src/redis.ts';
import { startSimulatorProcess } from '../src/simulator/process.ts';
import { benchPrefix, deletePrefix, prioritiseSimulator, REDIS_ENV, spawnWorkers, stopWorkers, waitUntilServing } from './lib/fleet-bench.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const LAUNCHES = Number(process.env.LAUNCHES ?? 200);
const WORKERS = Number(process.env.WORKERS ?? 4);
const WARMUP_LAUNCHES = Number(process.env.WARMUP_LAUNCHES ?? 100);
const LIMIT = 200;
const QUEUED_MS = 20_000;
const INITIALIZING_MS = 40_000;
const INTERVAL_MS = 3_000;
const JITTER_MS = 2_000;
const SCHEDULINGS = process.env.BENCH_SIM_SCHEDULING === 'both' ? (['normal', 'realtime'] as const) : ([process.env.BENCH_SIM_SCHEDULING === 'realtime' ? 'realtime' : 'normal'] as const);
const EXPECTED_POLLS = (QUEUED_MS + INITIALIZING_MS) / (INTERVAL_MS + JITTER_MS / 2);

const logger = createLogger({ level: 'warn' });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

interface RoundFigures {
  scheduling: 'normal' | 'realtime';
  running: number;
  meanPolls: number;
  medianPolls: number;
  peakRatio: number;
  rateLimited: number;
}

async function round(n: number, scheduling: 'normal' | 'realtime'): Promise<RoundFigures> {
  const sim = await startSimulatorProcess({ rps: LIMIT });
  const simulatorScheduling = await prioritiseSimulator(sim.pid, scheduling);
  const prefix = benchPrefix('launch-polls');
  const env = {
    ...REDIS_ENV,
    FLEET_PREFIX: prefix,
    CXONE_BASE_URL: sim.url,
    CXONE_RATE_LIMIT_RPS: String(LIMIT),
    CAMPAIGN_POLL_INTERVAL_MS: String(INTERVAL_MS),
    CAMPAIGN_POLL_JITTER_MS: String(JITTER_MS),
    LOG_LEVEL: 'warn',
  };
  const configureStart = async (queuedMs: number, initializingMs: number) => {
    const res = await fetch(`${sim.url}/_sim/campaigns/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ advanceBy: 'time', queuedMs, initializingMs }),
    });
    if (!res.ok) throw new Error(`simulator campaigns config: HTTP ${res.status} ${await res.text()}`);
  };
  const ctx = createProducerContext(loadConfig(env), { role: 'bench', logger });
  await waitForReady(ctx.redis);
  const svc = createCampaignServices(ctx);
  // Launches `n` at once and waits until every one has settled (or the deadline passed).
  const launchAll = async (n: number, label: string, deadlineMs: number) => {
    const t0 = performance.now();
    const launched = await Promise.all(
      Array.from({ length: n }, (_, i) => svc.launch({ name: `${label} ${i}`, contactListId: 'CL-839201-AJF2', pacing: { callsPerMinute: 10, maxConcurrent: 20 } })),
    );
    const launchMs = performance.now() - t0;
    const ids = launched.map((l) => l.launchId);
    const deadline = Date.now() + deadlineMs;
    let records = await Promise.all(ids.map((id) => svc.getLaunch(id)));
    while (records.some((r) => r?.status !== 'running' && r?.status !== 'failed') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      records = await Promise.all(ids.map((id) => svc.getLaunch(id)));
    }
    return { launchMs, records };
  };
  // Pacing checks of the campaigns once running are not what is measured: only launches run.
  const workers = await spawnWorkers(WORKERS, env, ['--queues', 'campaign-operation']);
  try {
    await waitUntilServing(workers);
    let warmUpTokens = 0;
    if (WARMUP_LAUNCHES > 0) {
      await configureStart(1_000, 2_000);
      const warm = await launchAll(WARMUP_LAUNCHES, 'warm-up launch', 60_000);
      const ws = await sim.stats();
      const settled = warm.records.filter((r) => r?.status === 'running').length;
      console.log(`round ${n} warm-up (cold workers and simulator): ${settled}/${WARMUP_LAUNCHES} launches running; all requests ${ws.apiRequests}, busiest 1 s ${ws.peak1s}; 429s: ${ws.rateLimited}`);
      warmUpTokens = ws.tokenRequests;
      await sim.reset();
    }
    await configureStart(QUEUED_MS, INITIALIZING_MS);
    const { launchMs, records } = await launchAll(LAUNCHES, 'bench launch', 3 * (QUEUED_MS + INITIALIZING_MS));
    const s = await sim.stats();
    const running = records.filter((r) => r?.status === 'running').length;
    const failed = records.filter((r) => r?.status === 'failed');
    const polls = records.map((r) => r?.polls ?? 0);
    const sp = s.campaigns.statusPolls;
    const spanS = sp.firstAt !== null && sp.lastAt !== null ? (sp.lastAt - sp.firstAt) / 1000 : NaN;
    const meanPerS = sp.total / spanS;
    const peakRatio = sp.peak1s / meanPerS;
    const minPolls = Math.min(...polls);
    const maxPolls = Math.max(...polls);
    const meanPolls = polls.reduce((a, b) => a + b, 0) / polls.length;
    const within = polls.filter((p) => Math.abs(p - EXPECTED_POLLS) <= EXPECTED_POLLS * 0.1).length;

    console.log(`round ${n}: ${LAUNCHES} launches (enqueued in ${Math.round(launchMs)} ms), ${WORKERS} worker processes, simulator limit ${LIMIT} req/s (${simulatorScheduling} scheduling)`);
    console.log(`launches: ${running} running, ${failed.length} failed${failed.length ? ` (${[...new Set(failed.map((f) => `${f?.errorCode}: ${f?.error}`))].slice(0, 3).join('; ')})` : ''}`);
    console.log(`status polls per campaign: mean ${meanPolls.toFixed(2)}, median ${median(polls)}, min ${minPolls}, max ${maxPolls}; expected ${EXPECTED_POLLS}; within 10 %: ${within}/${polls.length}`);
    console.log(`status polls: ${sp.total} over ${spanS.toFixed(1)} s = ${meanPerS.toFixed(1)}/s mean; busiest 1 s: ${sp.peak1s} (${peakRatio.toFixed(2)}x the mean)`);
    console.log(`status polls in each second from the first: ${sp.perSecond.join(' ')}`);
    console.log(`all requests: ${s.apiRequests}, busiest 1 s ${s.peak1s}; 429s: ${s.rateLimited}; token requests: ${warmUpTokens + s.tokenRequests}`);
    return { scheduling: simulatorScheduling, running, meanPolls, medianPolls: median(polls), peakRatio, rateLimited: s.rateLimited };
  } finally {
    await stopWorkers(workers);
    await ctx.close();
    await sim.stop();
    await deletePrefix(prefix);
  }
}

console.log(
  `bench:launch-polls  start ${(QUEUED_MS + INITIALIZING_MS) / 1000} s by time; polls every ${INTERVAL_MS / 1000} s + [0, ${JITTER_MS / 1000} s) in each launch's slot; ${ROUNDS} rounds at ${SCHEDULINGS.join(' and ')} simulator scheduling`,
);
const rounds: RoundFigures[] = [];
for (let i = 1; i <= ROUNDS; i++) for (const scheduling of SCHEDULINGS) rounds.push(await round(i, scheduling));
let ok = true;
for (const scheduling of SCHEDULINGS) {
  const mine = rounds.filter((r) => r.scheduling === scheduling);
  // A realtime request that chrt refused ran at normal scheduling, and is reported there.
  if (mine.length === 0) continue;
  const med = (f: (r: RoundFigures) => number) => median(mine.map(f));
  const checks: [string, boolean][] = [
    [`every launch running in every round (${mine.map((r) => r.running).join(', ')})`, mine.every((r) => r.running === LAUNCHES)],
    [`status polls per campaign within 10 % of ${EXPECTED_POLLS} (median of the rounds' means ${med((r) => r.meanPolls).toFixed(2)}; medians ${mine.map((r) => r.medianPolls).join(', ')})`, Math.abs(med((r) => r.meanPolls) - EXPECTED_POLLS) <= EXPECTED_POLLS * 0.1],
    [`busiest second <= 1.5x the mean (median ${med((r) => r.peakRatio).toFixed(2)}x; rounds ${mine.map((r) => r.peakRatio.toFixed(2)).join(', ')})`, med((r) => r.peakRatio) <= 1.5],
    [`0 x 429 (rounds ${mine.map((r) => r.rateLimited).join(', ')})`, mine.every((r) => r.rateLimited === 0)],
  ];
  console.log(`${scheduling} scheduling, ${mine.length} rounds:`);
  for (const [what, pass] of checks) console.log(`${pass ? 'PASS' : 'FAIL'}  ${what}`);
  ok &&= checks.every(([, pass]) => pass);
}
console.log(ok ? 'PASS' : 'FAIL');
process.exitCode = ok ? 0 : 1;
