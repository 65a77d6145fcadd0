// The campaign pieces a producer (CLI, HTTP API, library) needs, over a fail-fast Redis
// connection: launch requests, launch and campaign views, pacing and stop requests, the
// summary and the compliance view. Producers never call CXone: they enqueue operations and
// read what the workers recorded.
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Config } from '../config.ts';
import { abandonWindows } from '../domain/campaigns/pacing.ts';
import { launchSpecSchema, type LaunchSpec } from '../domain/campaigns/launch.ts';
import { ErrorCode, ValidationError, isErrorCode, zodIssuesToFields, type ErrorCodeValue } from '../errors.ts';
import type { Enqueuer } from '../queues/enqueue.ts';
import type { QueueSet } from '../queues/queue-set.ts';
import type { InputOf } from '../queues/registry.ts';
import type { RedisConnection } from '../redis.ts';
import { createDialerBreakers } from './dialer-breaker.ts';
import { campaignJobIds } from './keys.ts';
import { createLaunchStore, type LaunchRecord } from './launch-store.ts';
import { budgetLeft } from './pacing-processor.ts';
import { createPacingStore, type StoredSummary } from './pacing-store.ts';

export interface LaunchOptions {
  launchId?: string | undefined;
  requestId?: string | undefined;
  pollIntervalMs?: number | undefined;
  pollJitterMs?: number | undefined;
  startTimeoutMs?: number | undefined;
}

const LAUNCH_ID = /^[A-Za-z0-9_.-]{1,100}$/;
/** How often a waiting producer reads what the workers recorded. */
const WAIT_STEP_MS = 100;
/** A summary younger than this is answered as it is (the pacing checks refresh it every 30 s). */
export const SUMMARY_MAX_AGE_MS = 60_000;

/** The launch id an Idempotency-Key stands for: the same key is the same launch, in any process. */
export const launchIdOfKey = (key: string) => `k-${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;

export type LaunchOutcome =
  | { settled: false }
  | { settled: true; ok: true }
  | { settled: true; ok: false; code: ErrorCodeValue; message: string };

/** Where a launch stands for a caller waiting on it. */
export function launchOutcome(l: LaunchRecord): LaunchOutcome {
  if (l.status === 'running') return { settled: true, ok: true };
  if (l.status !== 'failed') return { settled: false };
  return { settled: true, ok: false, code: isErrorCode(l.errorCode) ? l.errorCode : ErrorCode.Unexpected, message: l.error ?? 'launch failed' };
}

/** An operation job's end as a waiting caller sees it; `pending` carries the last attempt's error, if any. */
export type JobWait = { state: 'completed'; value: unknown } | { state: 'failed'; reason: string } | { state: 'pending'; reason: string | undefined };

export type PacingChange = { callsPerMinute?: number | undefined; policy?: 'seed' | 'seed+abandon-cap' | 'manual' | undefined };

export function parseLaunchSpec(input: unknown): LaunchSpec {
  const parsed = launchSpecSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError('campaign launch spec', zodIssuesToFields(parsed.error.issues));
  return parsed.data;
}

export function createCampaignServices(deps: { config: Config; redis: RedisConnection; enqueuer: Enqueuer; queues?: QueueSet | undefined }) {
  const { redis, config } = deps;
  const prefix = config.redis.prefix;
  const accountId = config.cxone.accountId;
  const c = config.campaigns;
  const launches = createLaunchStore({ redis, prefix });
  const pacing = createPacingStore({ redis, prefix });
  const breakers = createDialerBreakers({ redis, prefix, settings: c.breaker });

  const enqueueOp = (data: InputOf<'campaignOperation'> & { campaignId: string }, requestId: string) =>
    deps.enqueuer.enqueue('campaignOperation', data, { jobId: campaignJobIds.operation(data.op, data.campaignId, requestId) });

  const svc = {
    launches,
    pacing,
    breakers,

    /** Records the launch and enqueues its step job; the same launchId twice is one launch. */
    async launch(input: unknown, opts: LaunchOptions = {}): Promise<{ launchId: string; created: boolean; record: LaunchRecord }> {
      const spec = parseLaunchSpec(input);
      const launchId = opts.launchId ?? randomUUID();
      if (!LAUNCH_ID.test(launchId)) throw new ValidationError('launch', [{ path: 'launchId', message: 'letters, digits, _ . or -, at most 100' }]);
      const created = await launches.create(launchId, spec);
      // A launch still pending may have lost its job (the request that recorded it failed
      // before adding it): its retry adds it. The job id makes a second add nothing.
      if (created || (await launches.get(launchId))?.status === 'pending') {
        await deps.enqueuer.enqueue(
          'campaignOperation',
          {
            accountId,
            requestId: opts.requestId,
            op: 'launch',
            launchId,
            pollIntervalMs: opts.pollIntervalMs ?? c.poll.intervalMs,
            pollJitterMs: opts.pollJitterMs ?? c.poll.jitterMs,
            startTimeoutMs: opts.startTimeoutMs ?? c.startTimeoutMs,
          },
          { jobId: campaignJobIds.launch(launchId) },
        );
      }
      return { launchId, created, record: (await launches.get(launchId))! };
    },

    getLaunch: (launchId: string) => launches.get(launchId),

    /** A campaign launched by this fleet: its launch, pacing and dialer breaker. */
    async campaign(campaignId: string) {
      const launchId = await launches.byCampaignId(campaignId);
      const [launch, p, breaker] = await Promise.all([launchId ? launches.get(launchId) : undefined, pacing.get(campaignId), breakers.view(campaignId)]);
      if (!launch && !p) return undefined;
      return { campaignId, launch, pacing: p, breaker };
    },

    /**
     * Reads the launch until it settles (a running one with automatic pacing: until its pacing
     * has started, so a pacing request right after is taken) or `timeoutMs` passes; undefined
     * when there is none.
     */
    async awaitLaunch(launchId: string, timeoutMs: number, signal?: AbortSignal): Promise<LaunchRecord | undefined> {
      const until = Date.now() + timeoutMs;
      const pacingStarted = (l: LaunchRecord) => !(l.status === 'running' && l.spec.autoPacing && l.campaignId) || l.pacingStartedAt !== undefined;
      for (;;) {
        const l = await launches.get(launchId);
        if (!l || (launchOutcome(l).settled && pacingStarted(l)) || Date.now() >= until || signal?.aborted) return l;
        await delay(Math.min(WAIT_STEP_MS, Math.max(1, until - Date.now())), undefined, { signal }).catch(() => undefined);
      }
    },

    /** Reads an operation job until it completes, fails for good, or `timeoutMs` passes. */
    async awaitOperation(jobId: string, timeoutMs: number): Promise<JobWait> {
      if (!deps.queues) throw new Error('awaitOperation needs the queue set');
      const queue = deps.queues.get('campaignOperation');
      const until = Date.now() + timeoutMs;
      for (;;) {
        // The state first, then the job: a job read while it was active has no result yet.
        const state = await queue.getJobState(jobId);
        const job = await queue.getJob(jobId);
        if (job && state === 'completed') return { state: 'completed', value: job.returnvalue };
        if (job && state === 'failed') return { state: 'failed', reason: job.failedReason };
        if (Date.now() >= until) return { state: 'pending', reason: job?.failedReason || undefined };
        await delay(Math.min(WAIT_STEP_MS, Math.max(1, until - Date.now())));
      }
    },

    /**
     * The last statistics the workers read, refreshed through a summary job when older than
     * `maxAgeMs` (or always with `refresh`): producers never call CXone themselves.
     */
    async freshSummary(campaignId: string, opts: { maxAgeMs?: number; timeoutMs: number; refresh?: boolean; requestId?: string }): Promise<{ summary: StoredSummary } | { summary: StoredSummary | undefined; failed: JobWait }> {
      const have = await pacing.summary(campaignId);
      const maxAge = opts.maxAgeMs ?? SUMMARY_MAX_AGE_MS;
      if (have && !opts.refresh && Date.now() - have.asOf <= maxAge) return { summary: have };
      const asked = Date.now();
      const { jobId } = await svc.refreshSummary(campaignId, opts.requestId);
      const done = await svc.awaitOperation(jobId, opts.timeoutMs);
      const now = await pacing.summary(campaignId);
      if (done.state === 'completed' && now && now.asOf >= asked - 1_000) return { summary: now };
      return { summary: now, failed: done };
    },

    async setPacing(campaignId: string, change: PacingChange, requestId: string = randomUUID()) {
      const job = await enqueueOp({ accountId, requestId, op: 'set-pacing', campaignId, ...stripUndefined(change) }, requestId);
      return { jobId: String(job.id) };
    },

    async stop(campaignId: string, requestId: string = randomUUID()) {
      const job = await enqueueOp({ accountId, requestId, op: 'stop', campaignId }, requestId);
      return { jobId: String(job.id) };
    },

    async refreshSummary(campaignId: string, requestId: string = randomUUID()) {
      const job = await enqueueOp({ accountId, requestId, op: 'summary', campaignId }, requestId);
      return { jobId: String(job.id) };
    },

    summary: (campaignId: string) => pacing.summary(campaignId),

    /** Windows, budget left and the latest decisions, from the pacing checks' records. */
    async compliance(campaignId: string, decisions = 50) {
      const [p, samples, recent] = await Promise.all([pacing.get(campaignId), pacing.samples(campaignId), pacing.decisions(campaignId, decisions)]);
      if (!p) return undefined;
      const now = samples[samples.length - 1]?.t ?? Date.now();
      const windows = abandonWindows(samples, now);
      return {
        campaignId,
        policy: p.policy,
        callsPerMinute: p.cpm,
        status: p.status,
        limit: c.pacing.budget.limit,
        target: c.pacing.budget.target,
        minAnswered: c.pacing.budget.minAnswered,
        windows,
        budgetLeft: budgetLeft(windows, c.pacing.budget.limit),
        asOf: samples.length > 0 ? now : undefined,
        samples: samples.length,
        decisions: recent,
      };
    },
  };
  return svc;
}

export type CampaignServices = ReturnType<typeof createCampaignServices>;

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
