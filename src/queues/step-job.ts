/**
 * Step jobs: one BullMQ job that runs as named steps, so a workflow that waits on CXone
 * (create a resource, poll until it is ready, configure it) stays one job from start to end
 * instead of hopping between queues.
 *
 * Each step is an async function that returns what comes next:
 * - `{ next: 'b' }`: run step b now, in the same attempt (the step name is saved first);
 * - `{ wait: ms, then: 'b' }`: save step b and the poll count, move the job to the delayed
 *   set for `ms` (`job.moveToDelayed` + `DelayedError`), then run b. A wait spends no
 *   attempt, writes no retry log line and counts in `cxone_fleet_step_waits_total`;
 * - `{ done: true, result }`: the job completes with `result`.
 *
 * What a job has done is kept in its own data (`job.updateData`, under `_step`), so a retry,
 * a crashed worker's stalled job or a wait all resume at the saved step. A step may
 * checkpoint inside itself with `ctx.save(patch)` (e.g. an id it just created). Steps must be
 * safe to run again from their start (idempotency keys, "skip what is recorded"): a crash
 * after a call and before its save repeats the call.
 *
 * Errors thrown by a step follow the fleet's rules (src/queues/outcome.ts): retryable ->
 * BullMQ retry with backoff, resuming at the same step; a 429 -> back to the queue without
 * an attempt; unrecoverable -> failed. `onFinalFailure` then runs once, to mark the
 * resource failed with the reason.
 *
 * The deadline (`deadlineMs` after the job's first step started) is checked whenever the
 * job starts or resumes and before each wait; a wait is cut short to end on it. Past it the
 * job fails for good with DEADLINE_EXCEEDED (`deadlineDetail` may say what was waited for).
 * Steps chained with `next` in one run are not interrupted by it. A dead letter replayed
 * with its attempts reset (`dlq replay`) resumes at its saved step with a new deadline.
 *
 * @example
 * export const createWidgetProcessor = (deps: Deps) =>
 *   defineStepJob<'widgetCreate', 'create' | 'await' | 'done', { widgetId?: string }>({
 *     first: 'create',
 *     initial: () => ({}),
 *     deadlineMs: (data) => data.timeoutMs,
 *     steps: {
 *       async create(ctx) {
 *         const { id } = await deps.api.createWidget(ctx.data, { signal: ctx.signal });
 *         await ctx.save({ widgetId: id });
 *         return { wait: 2_000, then: 'await' };
 *       },
 *       async await(ctx) {
 *         const w = await deps.api.getWidget(ctx.state.widgetId!, { signal: ctx.signal });
 *         return w.ready ? { next: 'done' } : { wait: fullJitterDelay(2_000, ctx.polls, 60_000), then: 'await' };
 *       },
 *       async done(ctx) {
 *         return { done: true, result: { widgetId: ctx.state.widgetId } };
 *       },
 *     },
 *     onFinalFailure: (data, err) => deps.store.markFailed(data.widgetName, (err as Error).message),
 *   });
 */
import { DelayedError, type Job } from 'bullmq';
import { ErrorCode, PermanentError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { JobContext, Processor } from './define-worker.ts';
import type { PayloadOf, QueueKey } from './registry.ts';

export type StepOutcome<S extends string> = { next: S } | { wait: number; then: S } | { done: true; result?: unknown };

/** What a step job keeps in its job's data beside the payload (payload schemas strip it). */
export interface SavedStep<S extends string = string, St = unknown> {
  step: S;
  state: St;
  /** Waits done so far. */
  polls: number;
  /** Epoch ms; fixed when the job's first step started. */
  deadline: number;
}

export const STEP_KEY = '_step';

export interface StepContext<D, St, S extends string = string> {
  /** The validated payload. */
  data: D;
  /** The step state saved in the job. */
  readonly state: St;
  /** Checkpoints inside a step: merged into the state and saved before it returns. */
  save: (patch: Partial<St>) => Promise<void>;
  readonly step: S;
  /** Waits this job has done so far. */
  readonly polls: number;
  /** Epoch ms past which the job fails with DEADLINE_EXCEEDED. */
  readonly deadline: number;
  signal: AbortSignal;
  log: Logger;
  job: Job;
}

export type StepFailureContext<St, S extends string> = JobContext & { step: S | undefined; state: St | undefined; polls: number };

export interface StepJobDefinition<K extends QueueKey, S extends string, St> {
  first: NoInfer<S>;
  initial(data: PayloadOf<K>): St;
  steps: { [N in S]: (ctx: StepContext<PayloadOf<K>, St, S>) => Promise<StepOutcome<NoInfer<S>>> };
  /** How long after its first step the job may still start or wait. */
  deadlineMs(data: PayloadOf<K>): number;
  /** Words for the DEADLINE_EXCEEDED message: what the job was waiting for. */
  deadlineDetail?(ctx: StepContext<PayloadOf<K>, St, S>): Promise<string | undefined> | string | undefined;
  /** Once, when the job will not be retried: record the resource as failed. */
  onFinalFailure?: (data: PayloadOf<K>, err: unknown, ctx: StepFailureContext<St, S>) => Promise<void>;
}

/** Thrown after the job was moved to the delayed set; define-worker counts it as a wait. */
export class StepWait extends DelayedError {
  readonly step: string;
  readonly delayMs: number;
  constructor(step: string, delayMs: number) {
    super();
    this.name = 'DelayedError';
    this.step = step;
    this.delayMs = delayMs;
  }
}

function isSaved(v: unknown): v is SavedStep {
  const s = v as Partial<SavedStep> | null | undefined;
  return typeof s?.step === 'string' && typeof s.polls === 'number' && typeof s.deadline === 'number';
}

/** The saved step of a job's data, if it is a step job that has started. */
export function savedStep(data: unknown): SavedStep | undefined {
  const s = (data as Record<string, unknown> | null | undefined)?.[STEP_KEY];
  return isSaved(s) ? s : undefined;
}

/** Waits a job has done (each one a BullMQ start that spent no attempt). */
export function stepPolls(data: unknown): number {
  return savedStep(data)?.polls ?? 0;
}

/** Where a wait lands: at least 1 ms, never past the deadline. */
export function waitDelay(waitMs: number, now: number, deadline: number): number {
  return Math.max(1, Math.min(Math.round(waitMs), deadline - now));
}

export function defineStepJob<K extends QueueKey, S extends string, St>(def: StepJobDefinition<K, S, St>): Processor<K> {
  const processor: Processor<K> = async (data, ctx) => {
    const { job } = ctx;
    const resumed = savedStep(job.data) as SavedStep<S, St> | undefined;
    let current: SavedStep<S, St> = resumed ?? { step: def.first, state: def.initial(data), polls: 0, deadline: Date.now() + def.deadlineMs(data) };
    const persist = async (patch: Partial<SavedStep<S, St>>) => {
      current = { ...current, ...patch };
      await job.updateData({ ...(job.data as Record<string, unknown>), [STEP_KEY]: current });
    };
    if (!Object.hasOwn(def.steps, current.step)) {
      throw new PermanentError(`${job.queueName} job ${job.id} is at unknown step "${current.step}"; steps: ${Object.keys(def.steps).join(', ')}`, { code: ErrorCode.Validation });
    }
    if (!resumed) await persist({});
    // A saved step was written by an earlier start, so this is a replayed dead letter (its
    // starts were reset): it resumes at its step with a new deadline.
    else if (job.attemptsStarted === 1) await persist({ deadline: Date.now() + def.deadlineMs(data) });

    const stepCtx: StepContext<PayloadOf<K>, St, S> = {
      data,
      get state() {
        return current.state;
      },
      save: (patch) => persist({ state: { ...current.state, ...patch } }),
      get step() {
        return current.step;
      },
      get polls() {
        return current.polls;
      },
      get deadline() {
        return current.deadline;
      },
      signal: ctx.signal,
      get log() {
        return ctx.log;
      },
      job,
    };
    const deadlineError = async () => {
      const detail = def.deadlineDetail ? await def.deadlineDetail(stepCtx) : undefined;
      const when = `deadline ${new Date(current.deadline).toISOString()} passed at step "${current.step}" after ${current.polls} waits`;
      return new PermanentError(detail ? `${detail} (${when})` : `${job.queueName} job ${job.id}: ${when}`, {
        code: ErrorCode.Deadline,
        details: { step: current.step, polls: current.polls, deadline: current.deadline },
      });
    };

    if (Date.now() >= current.deadline) throw await deadlineError();
    for (;;) {
      const outcome = await def.steps[current.step](stepCtx);
      if ('done' in outcome) return outcome.result;
      if ('next' in outcome) {
        await persist({ step: outcome.next });
        continue;
      }
      const now = Date.now();
      if (now >= current.deadline) throw await deadlineError();
      const delayMs = waitDelay(outcome.wait, now, current.deadline);
      await persist({ step: outcome.then, polls: current.polls + 1 });
      // A crash between the save and the move costs one early run of the next step.
      await job.moveToDelayed(now + delayMs, ctx.token);
      throw new StepWait(outcome.then, delayMs);
    }
  };
  if (def.onFinalFailure) {
    const onFinal = def.onFinalFailure;
    processor.onFinalFailure = (data, err, ctx) => {
      const s = savedStep(ctx.job.data) as SavedStep<S, St> | undefined;
      return onFinal(data, err, { ...ctx, step: s?.step, state: s?.state, polls: s?.polls ?? 0 });
    };
  }
  return processor;
}
