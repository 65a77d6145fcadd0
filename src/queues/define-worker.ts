// Every worker of the fleet is made here: parse the payload again on receive (a bad one
// fails as unrecoverable and stays in the failed set), run the processor with the job's
// AbortSignal, log one line per outcome, and map errors to BullMQ outcomes.
import { Worker, UnrecoverableError, RateLimitError, DelayedError, type Job } from 'bullmq';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { RedisConnection } from '../redis.ts';
import { ErrorCode, PermanentError, ValidationError, isFleetError } from '../errors.ts';
import { classifyError } from './outcome.ts';
import { parsePayload } from './enqueue.ts';
import { StepWait, stepPolls } from './step-job.ts';
import { QUEUES, type PayloadOf, type QueueKey } from './registry.ts';
import type { QueueSet } from './queue-set.ts';

export interface JobContext {
  job: Job;
  signal: AbortSignal;
  log: Logger;
  /** 1 on the first attempt. */
  attempt: number;
  /** The worker's lock on the job, for job.moveToDelayed (step jobs). */
  token: string | undefined;
  /** Whether the worker is closing: a job of many parts stops between two and goes back. */
  stopping?: () => boolean;
}

export type Processor<K extends QueueKey> = ((data: PayloadOf<K>, ctx: JobContext) => Promise<unknown>) & {
  /**
   * Called once, when a job will not be retried: an unrecoverable error, or a failed last
   * attempt (a 429 or Redis-unavailable deferral is not a failure). Lets the processor record the outcome.
   */
  onFinalFailure?: (data: PayloadOf<K>, err: unknown, ctx: JobContext) => Promise<void>;
  /**
   * Called after BullMQ has marked the job completed (its completion is in Redis), for a
   * check that must come after it. A failure is logged; the job stays completed.
   */
  afterCompleted?: (jobId: string) => Promise<void>;
};

export interface WorkerDeps {
  /** A worker-kind connection (maxRetriesPerRequest: null). */
  connection: RedisConnection;
  queues: QueueSet;
  logger: Logger;
  metrics?: Metrics;
  concurrency?: number;
  /** Account budget in requests/s: the BullMQ limiter is a coarse gate ahead of the precise one. */
  rateLimitRps?: number;
  /** How often one job may be sent back by a 429 before it spends an attempt instead. */
  maxRateLimitRestarts: number;
  /** Job lock; a crashed worker's jobs are taken over after about this long. */
  lockMs?: number;
}

export function defineWorker<K extends QueueKey>(key: K, processor: Processor<K>, deps: WorkerDeps): Worker {
  const def = QUEUES[key];
  const queue = deps.queues.get(key);

  const run = async (job: Job, token?: string, signal?: AbortSignal) => {
    const started = performance.now();
    const attempt = job.attemptsMade + 1;
    const bindings = { queue: def.name, jobId: job.id, attempt, requestId: (job.data as { requestId?: string } | undefined)?.requestId };
    // A child logger runs redaction over its bindings when made, and that was one byte in
    // eight a worker allocated per job: it is made only for a processor that logs.
    let child: Logger | undefined;
    const log = () => (child ??= deps.logger.child(bindings));
    const finish = (outcome: string, extra: Record<string, unknown> = {}, err?: unknown) => {
      const durationMs = Math.round(performance.now() - started);
      deps.metrics?.jobsTotal.inc({ queue: def.name, outcome });
      deps.metrics?.jobDuration.observe({ queue: def.name }, durationMs / 1000);
      const level = outcome === 'completed' ? 'info' : 'warn';
      if (!deps.logger.isLevelEnabled(level)) return;
      // The same line a child would write (bindings first), without making one.
      deps.logger[level]({ ...bindings, outcome, durationMs, ...extra, ...(err ? { err } : {}) }, outcome === 'completed' ? 'job completed' : `job ${outcome}`);
    };

    const ctx: JobContext = {
      job,
      signal: signal ?? new AbortController().signal,
      get log() {
        return log();
      },
      attempt,
      token,
      stopping: () => worker.closing !== undefined,
    };
    let data: PayloadOf<K> | undefined;
    const lastAttempt = attempt >= (job.opts.attempts ?? 1);
    const finalFailure = async (err: unknown) => {
      // A payload that never parsed has nothing for the processor to record.
      if (data === undefined || !processor.onFinalFailure) return;
      await processor.onFinalFailure(data, err, ctx).catch((hookErr: unknown) => log().error({ err: hookErr }, 'recording the final failure failed'));
    };
    try {
      data = parsePayload(key, job.data);
      const result = await processor(data, ctx);
      finish('completed');
      return result;
    } catch (err) {
      if (err instanceof DelayedError) {
        // A step job's wait (src/queues/step-job.ts): moved to delayed already, no attempt
        // spent; its own outcome and counter, and no retry line.
        const step = err instanceof StepWait ? err.step : 'unknown';
        deps.metrics?.jobsTotal.inc({ queue: def.name, outcome: 'waiting' });
        deps.metrics?.jobDuration.observe({ queue: def.name }, (performance.now() - started) / 1000);
        deps.metrics?.stepWaits.inc({ queue: def.name, step });
        if (deps.logger.isLevelEnabled('debug')) deps.logger.debug({ ...bindings, outcome: 'waiting', step, delayMs: err instanceof StepWait ? err.delayMs : undefined }, 'job waiting');
        throw err;
      }
      const outcome = err instanceof ValidationError ? { kind: 'unrecoverable' as const } : classifyError(err);
      const code = isFleetError(err) ? err.code : outcome.kind === 'redis-unavailable' ? ErrorCode.Unavailable : 'UNEXPECTED';
      if (outcome.kind === 'unrecoverable') {
        finish('unrecoverable', { code }, err);
        await finalFailure(err);
        throw new UnrecoverableError(`${code}: ${(err as Error).message}`);
      }
      if (outcome.kind === 'rate-limited' || outcome.kind === 'redis-unavailable') {
        // BullMQ counts every start (attemptsStarted, this one included) and only the starts
        // that spent an attempt (attemptsMade; a RateLimitError moves the job back to wait
        // without one). The rest were sent back: this is one more. (A stalled start counts too;
        // a step job's waits are starts without an attempt too, and are not 429s.)
        const restarts = job.attemptsStarted - job.attemptsMade - stepPolls(job.data);
        const label = outcome.kind === 'rate-limited' ? 'rate_limited' : 'redis_unavailable';
        if (restarts <= deps.maxRateLimitRestarts) {
          // Sends the job back to wait without spending an attempt, and holds every
          // worker of this queue for the delay (the fleet-wide account pause lives in the
          // limiter; this keeps BullMQ from handing out jobs that would only wait there).
          // With Redis failing the hold may not get written: the job goes back all the same.
          const hold = queue.rateLimit(outcome.delayMs);
          await (outcome.kind === 'rate-limited' ? hold : hold.catch(() => undefined));
          finish(label, { code, delayMs: outcome.delayMs, restarts }, outcome.kind === 'redis-unavailable' ? err : undefined);
          throw new RateLimitError();
        }
        finish('retry', { code, restarts, note: `${label} restart cap reached; spending an attempt` }, err);
        if (lastAttempt) await finalFailure(err);
        throw err;
      }
      finish('retry', { code, willRetry: !lastAttempt }, err);
      if (lastAttempt) await finalFailure(err);
      throw err;
    }
  };

  const worker = new Worker(def.name, run, {
    connection: deps.connection,
    prefix: deps.queues.prefix,
    concurrency: deps.concurrency ?? def.concurrency,
    // A limiter must be set for queue.rateLimit to hold workers back; it is sized to the
    // account budget so it never binds before the precise fleet-wide limiter does.
    ...(def.callsCxone && deps.rateLimitRps
      ? { limiter: { max: Math.max(1, Math.ceil(deps.rateLimitRps)), duration: 1_000 } }
      : {}),
    maxStalledCount: 2,
    ...(deps.lockMs ? { lockDuration: deps.lockMs, stalledInterval: deps.lockMs } : {}),
  });
  worker.on('error', (err) => deps.logger.error({ err, queue: def.name }, 'worker error'));
  // A job that stalled more than maxStalledCount times (its process died under it again and
  // again) is failed by the next worker that takes it, without running the processor: its
  // final failure is recorded here, once, by that worker.
  const { onFinalFailure } = processor;
  if (onFinalFailure) {
    worker.on('failed', (job, err) => {
      if (!job?.deferredFailure || err.message !== job.deferredFailure) return;
      const log = deps.logger.child({ queue: def.name, jobId: job.id });
      const recorded = async () => {
        const data = parsePayload(key, job.data);
        const ctx: JobContext = { job, signal: new AbortController().signal, log, attempt: job.attemptsMade, token: undefined };
        await onFinalFailure(data, new PermanentError(err.message, { code: ErrorCode.Stalled }), ctx);
      };
      deps.metrics?.jobsTotal.inc({ queue: def.name, outcome: 'stalled_out' });
      log.warn({ outcome: 'stalled_out', err }, 'job failed after stalling too often');
      recorded().catch((hookErr: unknown) => log.error({ err: hookErr }, 'recording the final failure failed'));
    });
  }
  const { afterCompleted } = processor;
  if (afterCompleted) {
    worker.on('completed', (job) => {
      afterCompleted(String(job.id)).catch((err: unknown) => deps.logger.error({ err, queue: def.name, jobId: job.id }, 'the check after completion failed'));
    });
  }
  return worker;
}
