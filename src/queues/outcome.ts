// The one place that turns an error into a BullMQ outcome.
import { ErrorCode, isFleetError, RateLimitedError, type ErrorCodeValue } from '../errors.ts';
import { isRedisUnavailable } from '../redis.ts';

export type JobOutcome =
  | { kind: 'unrecoverable'; code: ErrorCodeValue }
  | { kind: 'rate-limited'; delayMs: number }
  | { kind: 'redis-unavailable'; delayMs: number }
  | { kind: 'retry'; code: ErrorCodeValue };

/**
 * How long a job waits when Redis failed under it (restart, freeze, cluster failover).
 * Short, because the worker's own commands already waited out up to FAILOVER_BUDGET_MS
 * (src/redis.ts) before the error got here; a deferral costs one of the job's rate-limit
 * restarts (RATE_LIMIT_MAX_RESTARTS), not an attempt.
 */
export const REDIS_UNAVAILABLE_DELAY_MS = 1_000;

export function classifyError(err: unknown): JobOutcome {
  if (err instanceof RateLimitedError) return { kind: 'rate-limited', delayMs: Math.max(1, err.retryAfterMs) };
  if (isFleetError(err)) {
    return err.retryable ? { kind: 'retry', code: err.code } : { kind: 'unrecoverable', code: err.code };
  }
  // Redis failing is the fleet's infrastructure, not the job: like a 429, it spends no attempt.
  if (isRedisUnavailable(err)) return { kind: 'redis-unavailable', delayMs: REDIS_UNAVAILABLE_DELAY_MS };
  // Unknown errors are retried: attempts are bounded, and a bug shows up in the failed set.
  return { kind: 'retry', code: ErrorCode.Unexpected };
}

/** A job sent back without spending an attempt (429, Redis unavailable): a processor records nothing for it. */
export function isDeferral(err: unknown): boolean {
  const kind = classifyError(err).kind;
  return kind === 'rate-limited' || kind === 'redis-unavailable';
}
