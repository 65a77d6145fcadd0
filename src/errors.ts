// The error taxonomy. Every failure the fleet raises is a FleetError with a stable `code`
// and a `retryable` verdict; src/queues/outcome.ts maps them to BullMQ outcomes in one place.

export const ErrorCode = {
  Validation: 'VALIDATION',
  BadRequest: 'CXONE_BAD_REQUEST',
  Unauthorized: 'CXONE_UNAUTHORIZED',
  Forbidden: 'CXONE_FORBIDDEN',
  NotFound: 'CXONE_NOT_FOUND',
  Conflict: 'CXONE_CONFLICT',
  PreconditionFailed: 'CXONE_PRECONDITION_FAILED',
  RateLimited: 'CXONE_RATE_LIMITED',
  ServerError: 'CXONE_SERVER_ERROR',
  Timeout: 'CXONE_TIMEOUT',
  Network: 'CXONE_NETWORK',
  BadResponse: 'CXONE_BAD_RESPONSE',
  CircuitOpen: 'CIRCUIT_OPEN',
  TokenUnavailable: 'TOKEN_UNAVAILABLE',
  Aborted: 'ABORTED',
  Expired: 'EXPIRED',
  Refused: 'REFUSED',
  Deadline: 'DEADLINE_EXCEEDED',
  FlowInvalid: 'FLOW_INVALID',
  FlowJobFailed: 'FLOW_JOB_FAILED',
} as const;
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface FleetErrorOptions {
  code: ErrorCodeValue | string;
  retryable: boolean;
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class FleetError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;
  constructor(message: string, opts: FleetErrorOptions) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = opts.code;
    this.retryable = opts.retryable;
    this.details = opts.details;
  }
}

/** Will never succeed as it is: bad input, missing resource, missing scope. */
export class PermanentError extends FleetError {
  constructor(message: string, opts: Omit<FleetErrorOptions, 'retryable'>) {
    super(message, { ...opts, retryable: false });
  }
}

/** May succeed later: 5xx, timeouts, dropped connections, an open breaker. */
export class TransientError extends FleetError {
  constructor(message: string, opts: Omit<FleetErrorOptions, 'retryable'>) {
    super(message, { ...opts, retryable: true });
  }
}

/**
 * The account must wait, not just this job: CXone said 429, the limiter's queue is longer
 * than a job should wait in process, or the breaker is open. The job goes back to the
 * queue for `retryAfterMs` without spending an attempt.
 */
export class RateLimitedError extends FleetError {
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number, opts: { code?: string; cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, { retryable: true, ...opts, code: opts.code ?? ErrorCode.RateLimited });
    this.retryAfterMs = retryAfterMs;
  }
}

export interface FieldIssue {
  path: string;
  message: string;
}

/** Input that failed a schema: names every field and why. */
export class ValidationError extends PermanentError {
  readonly subject: string;
  readonly issues: FieldIssue[];
  constructor(subject: string, issues: FieldIssue[]) {
    super(`${subject} is invalid: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`, {
      code: ErrorCode.Validation,
      details: { issues },
    });
    this.subject = subject;
    this.issues = issues;
  }
}

/** An HTTP status from CXone, kept with the endpoint it came from. */
export class CxoneHttpError extends FleetError {
  readonly status: number;
  readonly endpoint: string;
  constructor(message: string, status: number, endpoint: string, opts: FleetErrorOptions) {
    super(message, { ...opts, details: { ...opts.details, status, endpoint } });
    this.status = status;
    this.endpoint = endpoint;
  }
}

export function isFleetError(err: unknown): err is FleetError {
  return err instanceof FleetError;
}

/** zod issues → our field list, with dotted paths ("to.0", "smtp.port"). */
export function zodIssuesToFields(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): FieldIssue[] {
  return issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}
