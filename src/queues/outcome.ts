// The one place that turns an error into a BullMQ outcome.
import { ErrorCode, isFleetError, RateLimitedError, type ErrorCodeValue } from '../errors.ts';

export type JobOutcome =
  | { kind: 'unrecoverable'; code: ErrorCodeValue }
  | { kind: 'rate-limited'; delayMs: number }
  | { kind: 'retry'; code: ErrorCodeValue };

export function classifyError(err: unknown): JobOutcome {
  if (err instanceof RateLimitedError) return { kind: 'rate-limited', delayMs: Math.max(1, err.retryAfterMs) };
  if (isFleetError(err)) {
    return err.retryable ? { kind: 'retry', code: err.code } : { kind: 'unrecoverable', code: err.code };
  }
  // Unknown errors are retried: attempts are bounded, and a bug shows up in the failed set.
  return { kind: 'retry', code: ErrorCode.Unexpected };
}
