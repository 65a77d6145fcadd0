// Runs chaos rounds one after the other, each on a fleet of its own (stage.ts), and prints
// and checks each round's figures. Redis for the single-server rounds is a private
// redis-server with AOF; the cluster is started only if a round needs it. Everything started
// here is stopped, and every round's keys deleted, whether the rounds pass, fail or throw.
import { setTimeout as delay } from 'node:timers/promises';
import { startEphemeralRedis, type EphemeralRedis } from '../../test/helpers/ephemeral-redis.ts';
import { startChaosCluster, type ClusterFaults } from './cluster.ts';
import { checks, measure, type Check, type RoundFigures } from './figures.ts';
import { ROUNDS, type Infrastructure, type Round } from './rounds.ts';
import { startStage, type Stage } from './stage.ts';

export interface SuiteOptions {
  /** Round names or 1-based numbers; empty: all. */
  rounds: string[];
  messages: number;
  rps: number;
  redisPort: number;
  clusterBasePort: number;
  /** The private Redis's AOF fsync policy (see runSuite). */
  appendfsync: 'always' | 'everysec';
}

export interface RoundResult {
  round: string;
  passed: boolean;
  seconds: number;
  fault?: string;
  figures?: RoundFigures;
  checks: Check[];
  error?: string;
}

export function selectRounds(names: string[]): Round[] {
  if (names.length === 0) return ROUNDS;
  return names.map((n) => {
    const round = /^\d+$/.test(n) ? ROUNDS[Number(n) - 1] : ROUNDS.find((r) => r.name === n);
    if (!round) throw new Error(`CHAOS_ROUNDS: no round "${n}" (1-${ROUNDS.length} or one of ${ROUNDS.map((r) => r.name).join(', ')})`);
    return round;
  });
}

/** Resolves once CXone has accepted `target` messages; rejects after `timeoutMs`. */
async function whenAccepted(stats: () => Promise<{ sms: { accepted: number } }>, target: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await stats()).sms.accepted < target) {
    if (Date.now() > deadline) throw new Error(`CXone had not accepted ${target} messages after ${timeoutMs} ms`);
    await delay(50);
  }
}

const AFTER_MESSAGES = 20;
const AFTER_TIMEOUT_MS = 60_000;

/**
 * Once the batch has settled (its figures taken), a small batch more: a fleet that came
 * through the fault still takes new work. A worker whose idle wait for jobs hung in the
 * fault would sit out every later batch, and the main batch's figures cannot show that.
 */
async function workAfterFault(stage: Stage): Promise<Check> {
  const name = 'a batch submitted after the fault settles';
  try {
    await stage.submitMore('after', AFTER_MESSAGES);
    const b = await stage.settled(AFTER_TIMEOUT_MS, 'after');
    return { name, ok: true, detail: `${AFTER_MESSAGES} messages: ${JSON.stringify(b.counts)}` };
  } catch (err) {
    return { name, ok: false, detail: (err as Error).message };
  }
}

async function runRound(round: Round, infra: Infrastructure, opts: SuiteOptions): Promise<RoundResult> {
  const started = Date.now();
  const seconds = () => Math.round((Date.now() - started) / 100) / 10;
  const redis = round.onCluster ? { clusterNodes: (await infra.cluster()).nodes } : { url: infra.redis.url };
  const stage = await startStage({ label: round.name, redis, messages: opts.messages, rps: opts.rps, ...round.stage });
  try {
    const sendMs = (opts.messages / opts.rps) * 1000;
    await whenAccepted(() => stage.sim.stats(), Math.ceil(opts.messages / 4), sendMs + 60_000);
    const acceptedBefore = (await stage.sim.stats()).sms.accepted;
    const fault = await round.inject(stage, infra);
    await stage.settled(3 * sendMs + 180_000);
    const figures = await measure(stage, await stage.sim.stats());
    const afterwards = await workAfterFault(stage);
    const midBatch: Check = { name: 'fault began mid-batch', ok: acceptedBefore < opts.messages, detail: `${acceptedBefore} of ${opts.messages} at CXone` };
    const list = [midBatch, ...(round.evidence ? [round.evidence(figures)] : []), ...checks(figures, round.spendsAttempts), afterwards];
    return { round: round.name, passed: list.every((c) => c.ok), seconds: seconds(), fault, figures, checks: list };
  } catch (err) {
    return { round: round.name, passed: false, seconds: seconds(), checks: [], error: (err as Error).stack ?? String(err) };
  } finally {
    await stage.close();
  }
}

export function printRound(r: RoundResult): void {
  console.log(`\n== ${r.round}: ${r.passed ? 'PASS' : 'FAIL'} (${r.seconds} s)`);
  if (r.fault) console.log(`   fault: ${r.fault}`);
  for (const c of r.checks) console.log(`   ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  if (r.error) console.log(`   error: ${r.error}`);
  if (r.figures) console.log(`   figures: ${JSON.stringify(r.figures)}`);
}

/** One line per round: the figures the checks read, side by side. */
export function printSummary(results: RoundResult[]): void {
  console.log('\nround                      result  s      lost  repeated  not-terminal  attempts+  keyed-resends  receipts-dropped  status-reads');
  for (const r of results) {
    const f = r.figures;
    const cells = f
      ? [f.lost, f.repeatedRecipients, f.notTerminal, f.sendAttemptsBeyondFirst + f.receiptAttemptsBeyondFirst, f.keyedResends, f.receiptsDropped, f.statusReads]
      : Array<string>(7).fill('-');
    const widths = [4, 8, 12, 9, 13, 16, 12];
    console.log(`${r.round.padEnd(27)}${(r.passed ? 'PASS' : 'FAIL').padEnd(8)}${String(r.seconds).padEnd(7)}${cells.map((c, i) => String(c).padEnd(widths[i]! + 2)).join('')}`);
  }
}

export async function runSuite(opts: SuiteOptions, onRound: (r: RoundResult) => void = printRound): Promise<RoundResult[]> {
  const rounds = selectRounds(opts.rounds);
  let redis: EphemeralRedis | undefined;
  let cluster: Promise<ClusterFaults> | undefined;
  let torndown: Promise<void> | undefined;
  const teardown = () =>
    (torndown ??= (async () => {
      await redis?.destroy();
      if (cluster) await (await cluster.catch(() => undefined))?.stop();
    })());
  // The cluster's nodes are daemons that a Ctrl-C does not reach (the workers, the simulator
  // and the private Redis are children that it does): stop them before leaving. Each
  // round's keys live only in these servers, which go with them.
  const onSignal = () => void teardown().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const results: RoundResult[] = [];
  try {
    // everysec by default, as docker-compose.yml deploys Redis; docs/adr/0007-chaos.md says why
    // the suite does not test `always` instead, and what round 8 stands for.
    if (rounds.some((r) => !r.onCluster)) redis = await startEphemeralRedis({ port: opts.redisPort, appendfsync: opts.appendfsync });
    const infra: Infrastructure = {
      get redis() {
        if (!redis) throw new Error('no private Redis started');
        return redis;
      },
      cluster: () => (cluster ??= startChaosCluster(opts.clusterBasePort)),
    };
    for (const round of rounds) {
      const result = await runRound(round, infra, opts);
      results.push(result);
      onRound(result);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await teardown();
  }
  return results;
}
