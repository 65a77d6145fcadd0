// SMS batches through the fleet: a MESSAGES-message batch through 2 and 4 worker
// processes against a simulator limited to LIMIT requests/s, and the intake's enqueue
// rate against raw addBulk of the same payloads in the same run. Prints figures only.
//   npx tsx bench/sms.bench.ts        (MESSAGES=20000 LIMIT=500 ROUNDS=5 WARMUP=5000 by default)
// Redis CPU and commands are the whole server's: give the bench a Redis of its own (REDIS_URL at
// a port where nothing answers makes `npm run bench:sms` start an ephemeral one).
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { createProducerContext, type ProducerContext } from '../src/producer-context.ts';
import { waitForReady, type RedisConnection } from '../src/redis.ts';
import { startSimulatorProcess } from '../src/simulator/process.ts';
import type { SimulatorStats } from '../src/simulator/server.ts';
import { acceptedRatePerS } from '../src/simulator/sms.ts';
import { createSmsServices } from '../src/sms/services.ts';
import { createThreadValidator, type RowValidator } from '../src/sms/row-validator.ts';
import { benchPrefix, deletePrefix, prioritiseSimulator, processCpuMicros, REDIS_ENV, redisCommandCalls, redisCpuMicros, rssMiB, spawnWorkers, stopWorkers, waitForAccepted, waitForDrained, waitUntilServing } from './lib/fleet-bench.ts';

const MESSAGES = Number(process.env.MESSAGES ?? 20_000);
const LIMIT = Number(process.env.LIMIT ?? 500);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
// Messages the workers send before the measured batch (0: measure them cold).
const WARMUP = Number(process.env.WARMUP ?? 5_000);
const logger = createLogger({ level: 'warn' });
const numbers = Array.from({ length: MESSAGES }, (_, i) => `+1415${2_000_000 + i}`);
const rows = () => numbers.map((to, i) => ({ row: i + 1, input: { to, text: `Your code is ${100_000 + i}. It expires in 5 minutes.` } }));

/** CPU used so far by this process (all threads) and by the Redis server, in µs. */
async function cpuNow(redis: RedisConnection): Promise<{ node: number; redis: number }> {
  const { user, system } = process.cpuUsage();
  return { node: user + system, redis: await redisCpuMicros(redis) };
}

async function cpuSince(redis: RedisConnection, before: { node: number; redis: number }, messages: number) {
  const after = await cpuNow(redis);
  return { node: Math.round((after.node - before.node) / messages), redis: Math.round((after.redis - before.redis) / messages) };
}

type RawPayload = { name: string; data: unknown; opts: { jobId: string; priority: number } };

/**
 * Raw addBulk of ready-made payloads, 500 a call, `inFlight` calls at a time (one by
 * default): messages/s and CPU.
 */
async function rawAddBulk(ctx: ProducerContext, queueKey: 'smsStatus' | 'emailBounce', payloads: RawPayload[], tag: string, inFlight = 1) {
  const queue = ctx.queues.get(queueKey); // not smsSend, so nothing collides with the intake's jobs
  const t = performance.now();
  const cpu = await cpuNow(ctx.redis);
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      for (let i = next; i < payloads.length; i = next) {
        next += 500;
        await queue.addBulk(payloads.slice(i, i + 500).map((p) => ({ ...p, opts: { ...p.opts, jobId: `${tag}-${p.opts.jobId}` } })));
      }
    }),
  );
  return { perS: payloads.length / ((performance.now() - t) / 1000), cpu: await cpuSince(ctx.redis, cpu, payloads.length) };
}

/**
 * One round: raw addBulk, the intake as `sms send` runs it, raw addBulk again. The intake is
 * compared with the mean of the raw passes either side of it, so a machine that speeds up
 * or slows down during the round moves both sides alike. The raw payloads are the ones the
 * intake built (the previous round's for the pass before it).
 */
async function enqueueRound(validator: RowValidator, previousPayloads?: RawPayload[]) {
  const prefix = benchPrefix('enq');
  const ctx = createProducerContext(loadConfig({ ...REDIS_ENV, FLEET_PREFIX: prefix }), { role: 'bench', logger });
  await waitForReady(ctx.redis);
  const sms = createSmsServices(ctx);
  await sms.consent.optIn(numbers);

  const before = previousPayloads ? await rawAddBulk(ctx, 'emailBounce', previousPayloads, 'before') : undefined;
  const t = performance.now();
  const cpu = await cpuNow(ctx.redis);
  const summary = await sms.intake.submit(rows(), { batchId: 'enq', defaults: { from: 'ACME', campaignId: 'c1' }, validator });
  const intakePerS = MESSAGES / ((performance.now() - t) / 1000);
  const intakeCpu = await cpuSince(ctx.redis, cpu, MESSAGES);

  // The same payloads, already built, straight into addBulk: the ceiling for any intake.
  const jobs = await ctx.queues.get('smsSend').getJobs(['waiting', 'prioritized'], 0, MESSAGES);
  const payloads: RawPayload[] = jobs.map((j) => ({ name: 'sms-send', data: j.data as unknown, opts: { jobId: String(j.id), priority: 10 } }));
  const after = await rawAddBulk(ctx, 'smsStatus', payloads, 'after');
  const rawPerS = before ? (before.perS + after.perS) / 2 : after.perS;

  // For reference: raw addBulk with as many chunks in flight as the intake overlaps.
  const rawConcurrent = await rawAddBulk(ctx, 'emailBounce', payloads, 'concurrent', 8);
  await ctx.close();
  await deletePrefix(prefix);
  return {
    figures: {
      accepted: summary.accepted,
      intakePerS: Math.round(intakePerS),
      rawAddBulkPerS: Math.round(rawPerS),
      rawPassesPerS: before ? [Math.round(before.perS), Math.round(after.perS)] : [Math.round(after.perS)],
      ratio: Number((intakePerS / rawPerS).toFixed(3)),
      rawAddBulk8InFlightPerS: Math.round(rawConcurrent.perS),
      // CPU per message (µs): this process (all its threads) and Redis, for each side.
      cpuPerMessageUs: { intake: intakeCpu, rawAddBulk: after.cpu },
    },
    payloads,
  };
}

// Throughput on a shared 2-core machine swings by a fifth from one second to the next, so
// the two sides are measured side by side in several rounds and the median ratio reported.
async function enqueueRates() {
  // As `sms send` runs it: rows validated in a thread beside the one that enqueues. One
  // thread for every round, and one round first, not counted: it pays for the JIT of both
  // threads and the validation thread's start-up, which the raw side then never pays (it
  // runs the BullMQ code the intake just warmed). Both sides are measured warm: a thread
  // started afresh each round spent its first chunks uncompiled (110-146 ms for the first
  // 1,000 rows instead of 20-30), a cost of start-up the warm raw side was spared.
  const validator = createThreadValidator();
  let { payloads } = await enqueueRound(validator);
  const rounds = [];
  for (let i = 0; i < ROUNDS; i++) {
    const round = await enqueueRound(validator, payloads);
    payloads = round.payloads;
    rounds.push(round.figures);
  }
  await validator.close();
  const ratios = rounds.map((r) => r.ratio).sort((a, b) => a - b);
  return { medianRatio: ratios[Math.floor(ratios.length / 2)], rounds };
}

/** Achieved rate over the simulator's first-to-last acceptance, as a share of the limit. */
function rateFigures(s: SimulatorStats) {
  const achieved = acceptedRatePerS(s.sms);
  return { achievedRps: Number(achieved.toFixed(1)), ratio: Number((achieved / LIMIT).toFixed(4)) };
}

function callsPerMessage(before: Record<string, number>, after: Record<string, number>) {
  const per = Object.entries(after)
    .map(([cmd, n]) => [cmd, Number(((n - (before[cmd] ?? 0)) / MESSAGES).toFixed(2))] as const)
    .filter(([, n]) => n >= 0.01)
    .sort((a, b) => b[1] - a[1]);
  return { total: Number(per.reduce((a, [, n]) => a + n, 0).toFixed(2)), ...Object.fromEntries(per) };
}

async function throughput(workerCount: number) {
  const sim = await startSimulatorProcess({ rps: LIMIT });
  const simulatorScheduling = await prioritiseSimulator(sim.pid);
  const prefix = benchPrefix(`sms${workerCount}`);
  const env = { ...REDIS_ENV, FLEET_PREFIX: prefix, CXONE_BASE_URL: sim.url, CXONE_RATE_LIMIT_RPS: String(LIMIT), LOG_LEVEL: 'warn' };
  const ctx = createProducerContext(loadConfig(env), { role: 'bench', logger });
  await waitForReady(ctx.redis);
  const sms = createSmsServices(ctx);
  await sms.consent.optIn(numbers);
  const defaults = { from: 'ACME', campaignId: 'c1' };
  // A fleet's workers run for days: what is measured is the rate of running workers. The
  // queue is held while a batch goes in and the workers start (loading their code takes a
  // CPU-second or more each), then let go at once; and the workers first send a smaller
  // batch, since a fresh process spends its first seconds compiling its hot code and
  // growing its heap. That first batch's own rate is reported too (warmUp).
  const queue = ctx.queues.get('smsSend');
  await queue.pause();
  const workers = await spawnWorkers(workerCount, env, ['--queues', 'sms-send']);
  await waitUntilServing(workers);
  let warmUp: Record<string, number> = { messages: 0 };
  if (WARMUP > 0) {
    await sms.intake.submit(rows().slice(0, WARMUP), { batchId: 'warm-up', defaults });
    await queue.resume();
    await waitForAccepted(sim, WARMUP, (WARMUP / LIMIT) * 3_000 + 60_000);
    const s = await sim.stats();
    warmUp = { messages: WARMUP, ...rateFigures(s), rateLimited429: s.rateLimited, duplicates: s.sms.duplicates, tokenRequests: s.tokenRequests };
    await waitForDrained(queue);
    await queue.pause();
    await sim.reset();
  }
  // The warm-up's rows are the first of these: sent again on purpose, past the duplicate window.
  await sms.intake.submit(rows(), { batchId: 'bench', defaults, allowRepeat: true });
  const pids = workers.map((w) => w.process.pid!);
  const workerCpuBefore = (await processCpuMicros(pids)).reduce((a, b) => a + b, 0);
  const [simCpuBefore = 0] = await processCpuMicros([sim.pid]);
  const redisCpuBefore = await redisCpuMicros(ctx.redis);
  const callsBefore = await redisCommandCalls(ctx.redis);
  await queue.resume();
  let peakRss: number[] = [];
  const sampler = setInterval(() => {
    void rssMiB(workers.map((w) => w.process.pid!)).then((r) => (peakRss = r.map((v, i) => Math.max(v, peakRss[i] ?? 0))));
  }, 1000);
  const finished = await waitForAccepted(sim, MESSAGES, (MESSAGES / LIMIT) * 3_000 + 60_000);
  clearInterval(sampler);
  // CPU per message sent, once running: all worker processes together, Redis, the simulator.
  const workerCpu = (await processCpuMicros(pids)).reduce((a, b) => a + b, 0) - workerCpuBefore;
  const redisCpu = (await redisCpuMicros(ctx.redis)) - redisCpuBefore;
  const [simCpuAfter = 0] = await processCpuMicros([sim.pid]);
  const callsAfter = await redisCommandCalls(ctx.redis);
  await stopWorkers(workers);
  const s = await sim.stats();
  const result = {
    workers: workerCount,
    // 'realtime': the simulator had the CPU first (see prioritiseSimulator); 'normal': not.
    simulatorScheduling,
    finished,
    accepted: s.sms.accepted,
    duplicates: s.sms.duplicates,
    ...rateFigures(s),
    rateLimited429: s.rateLimited,
    peak1s: s.peak1s,
    // Over the whole run, warm-up included: the fleet's one token is fetched then.
    tokenRequests: s.tokenRequests + Number(warmUp.tokenRequests ?? 0),
    peak100ms: s.peak100ms,
    warmUp,
    workerPeakRssMiB: peakRss,
    // The simulator stands in for CXone but shares the machine's cores with the fleet.
    // Redis commands per message sent (those run inside scripts included), by command and in all.
    redisCallsPerMessage: callsPerMessage(callsBefore, callsAfter),
    cpuPerMessageUs: { workers: Math.round(workerCpu / MESSAGES), redis: Math.round(redisCpu / MESSAGES), simulator: Math.round((simCpuAfter - simCpuBefore) / MESSAGES) },
  };
  await ctx.close();
  await sim.stop();
  await deletePrefix(prefix);
  return result;
}

// ROUNDS=0 skips the enqueue comparison (throughput only).
console.log(JSON.stringify({ messages: MESSAGES, limitRps: LIMIT, enqueue: ROUNDS > 0 ? await enqueueRates() : 'skipped' }, null, 2));
// WORKERS="" measures the enqueue rate alone.
for (const n of (process.env.WORKERS ?? '2,4').split(',').filter(Boolean).map(Number)) console.log(JSON.stringify(await throughput(n), null, 2));
