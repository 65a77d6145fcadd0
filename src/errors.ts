// The error taxonomy. Every failure the fleet raises carries one code of the closed set below;
// src/queues/outcome.ts maps them to BullMQ outcomes, httpStatusOf to an HTTP status (the
// ingress), exitCodeOf to a CLI exit code (src/cli/exit-codes.ts).

export const ErrorCode = {
  // The request or its input
  Validation: 'VALIDATION',
  InvalidJson: 'INVALID_JSON',
  JsonTooComplex: 'JSON_TOO_COMPLEX',
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  UnsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  BadRequest: 'BAD_REQUEST',
  InvalidTemplate: 'INVALID_TEMPLATE',
  InputFile: 'INPUT_FILE',
  // Access to the fleet's own surfaces
  Unauthorized: 'UNAUTHORIZED',
  Forbidden: 'FORBIDDEN',
  CrossSite: 'CROSS_SITE_REQUEST',
  AdminDisabled: 'ADMIN_DISABLED',
  NotFound: 'NOT_FOUND',
  MethodNotAllowed: 'METHOD_NOT_ALLOWED',
  NotImplemented: 'NOT_IMPLEMENTED',
  IdempotencyKeyReused: 'IDEMPOTENCY_KEY_REUSED',
  IdempotencyInProgress: 'IDEMPOTENCY_IN_PROGRESS',
  // The fleet itself
  Unavailable: 'UNAVAILABLE',
  Internal: 'INTERNAL',
  Unexpected: 'UNEXPECTED',
  ConfigInvalid: 'CONFIG_INVALID',
  SecretUnavailable: 'SECRET_UNAVAILABLE',
  ProvisionFailed: 'PROVISION_FAILED',
  ActivationFailed: 'ACTIVATION_FAILED',
  Deadline: 'DEADLINE_EXCEEDED',
  /** A job whose process died under it more often than BullMQ allows (maxStalledCount). */
  Stalled: 'JOB_STALLED',
  // Preview campaigns
  PreviewTierLimit: 'PREVIEW_TIER_LIMIT',
  PreviewConflict: 'PREVIEW_CONFLICT',
  // Campaign launch and pacing
  ContactListNotFound: 'CONTACT_LIST_NOT_FOUND',
  ContactListNotDncCompliant: 'CONTACT_LIST_NOT_DNC_COMPLIANT',
  ContactListDncStale: 'CONTACT_LIST_DNC_STALE',
  ContactListInvalid: 'CONTACT_LIST_INVALID',
  CampaignCreateFailed: 'CAMPAIGN_CREATE_FAILED',
  CampaignStartFailed: 'CAMPAIGN_START_FAILED',
  CampaignError: 'CAMPAIGN_ERROR',
  CampaignStopped: 'CAMPAIGN_STOPPED',
  CampaignNotRunning: 'CAMPAIGN_NOT_RUNNING',
  PacingUpdateFailed: 'PACING_UPDATE_FAILED',
  AbandonBudgetExhausted: 'ABANDON_BUDGET_EXHAUSTED',
  // CXone and the way to it
  CxoneBadRequest: 'CXONE_BAD_REQUEST',
  CxoneUnauthorized: 'CXONE_UNAUTHORIZED',
  CxoneForbidden: 'CXONE_FORBIDDEN',
  CxoneNotFound: 'CXONE_NOT_FOUND',
  CxoneConflict: 'CXONE_CONFLICT',
  CxonePreconditionFailed: 'CXONE_PRECONDITION_FAILED',
  CxoneRateLimited: 'CXONE_RATE_LIMITED',
  CxoneServerError: 'CXONE_SERVER_ERROR',
  CxoneTimeout: 'CXONE_TIMEOUT',
  CxoneNetwork: 'CXONE_NETWORK',
  CxoneBadResponse: 'CXONE_BAD_RESPONSE',
  CircuitOpen: 'CIRCUIT_OPEN',
  TokenUnavailable: 'TOKEN_UNAVAILABLE',
  Aborted: 'ABORTED',
  // Call flows
  FlowInvalid: 'FLOW_INVALID',
  FlowJobFailed: 'FLOW_JOB_FAILED',
} as const;
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Every code, for code that must cover them all (and its tests). */
export const ERROR_CODES = Object.values(ErrorCode) as readonly ErrorCodeValue[];

const CODES = new Set<string>(ERROR_CODES);
export function isErrorCode(value: unknown): value is ErrorCodeValue {
  return typeof value === 'string' && CODES.has(value);
}

/**
 * The HTTP status of each code. CXone's refusals of the fleet's own calls are a bad gateway:
 * the caller's request was fine, the upstream was not.
 */
const HTTP_STATUS = {
  VALIDATION: 400,
  INVALID_JSON: 400,
  JSON_TOO_COMPLEX: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  BAD_REQUEST: 400,
  INVALID_TEMPLATE: 422,
  INPUT_FILE: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  CROSS_SITE_REQUEST: 403,
  ADMIN_DISABLED: 404,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  NOT_IMPLEMENTED: 501,
  IDEMPOTENCY_KEY_REUSED: 422,
  IDEMPOTENCY_IN_PROGRESS: 409,
  UNAVAILABLE: 503,
  INTERNAL: 500,
  UNEXPECTED: 500,
  CONFIG_INVALID: 500,
  SECRET_UNAVAILABLE: 500,
  PROVISION_FAILED: 422,
  ACTIVATION_FAILED: 422,
  DEADLINE_EXCEEDED: 504,
  JOB_STALLED: 500,
  PREVIEW_TIER_LIMIT: 422,
  PREVIEW_CONFLICT: 409,
  CONTACT_LIST_NOT_FOUND: 422,
  CONTACT_LIST_NOT_DNC_COMPLIANT: 422,
  CONTACT_LIST_DNC_STALE: 422,
  CONTACT_LIST_INVALID: 502,
  CAMPAIGN_CREATE_FAILED: 502,
  CAMPAIGN_START_FAILED: 502,
  CAMPAIGN_ERROR: 502,
  CAMPAIGN_STOPPED: 409,
  CAMPAIGN_NOT_RUNNING: 409,
  PACING_UPDATE_FAILED: 502,
  ABANDON_BUDGET_EXHAUSTED: 409,
  CXONE_BAD_REQUEST: 502,
  CXONE_UNAUTHORIZED: 502,
  CXONE_FORBIDDEN: 502,
  CXONE_NOT_FOUND: 404,
  CXONE_CONFLICT: 409,
  CXONE_PRECONDITION_FAILED: 409,
  CXONE_RATE_LIMITED: 429,
  CXONE_SERVER_ERROR: 502,
  CXONE_TIMEOUT: 504,
  CXONE_NETWORK: 502,
  CXONE_BAD_RESPONSE: 502,
  CIRCUIT_OPEN: 503,
  TOKEN_UNAVAILABLE: 503,
  ABORTED: 503,
  FLOW_INVALID: 422,
  FLOW_JOB_FAILED: 422,
} as const satisfies Record<ErrorCodeValue, number>;

export type HttpErrorStatus = (typeof HTTP_STATUS)[ErrorCodeValue];

/** The one mapping of an error code to an HTTP status. */
export function httpStatusOf(code: ErrorCodeValue): HttpErrorStatus {
  return HTTP_STATUS[code];
}

/** The CLI's documented exit codes (the help text in src/cli/exit-codes.ts lists them). */
export const EXIT = {
  ok: 0,
  /** The command ran and failed: Redis or CXone unreachable, a refused request, a bad spec. */
  failure: 1,
  /** Bad usage: unknown command or option, a bad option value, a missing argument. */
  usage: 2,
  /** `sms send`: the batch went in, but some rows were rejected (reported per row). */
  rowsRejected: 3,
  /** An input file is missing or unreadable. */
  input: 4,
  /** The environment is invalid (each bad variable on its own line). */
  config: 5,
  /** Interrupted (SIGINT). */
  interrupted: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

// The codes with an exit code of their own; every other code is a plain failure (1).
const EXIT_OF = {
  INPUT_FILE: EXIT.input,
  CONFIG_INVALID: EXIT.config,
} as const satisfies Partial<Record<ErrorCodeValue, ExitCode>>;

/** The one mapping of an error code to a CLI exit code. */
export function exitCodeOf(code: ErrorCodeValue): ExitCode {
  return code in EXIT_OF ? EXIT_OF[code as keyof typeof EXIT_OF] : EXIT.failure;
}

export interface FleetErrorOptions {
  code: ErrorCodeValue;
  retryable: boolean;
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class FleetError extends Error {
  readonly code: ErrorCodeValue;
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
  constructor(message: string, retryAfterMs: number, opts: { code?: ErrorCodeValue; cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, { retryable: true, ...opts, code: opts.code ?? ErrorCode.CxoneRateLimited });
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
