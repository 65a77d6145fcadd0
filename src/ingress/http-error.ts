// One error shape for every JSON answer of the ingress: {error: {code, message, details}}.
// Handlers throw HttpError (or a FleetError); errorAnswer in errors-middleware maps any error
// to a status and body.
import type { ServerResponse } from 'node:http';
import { ErrorCode, httpStatusOf, type ErrorCodeValue } from '../errors.ts';
import { isRedisUnavailable } from '../redis.ts';

// A type alias, not an interface, so it fits bull-board's Record-typed error bodies.
export type ErrorBody = {
  error: { code: ErrorCodeValue; message: string; details?: unknown };
};

/** A refusal a handler throws: its status is its code's (httpStatusOf), its details go out as they are. */
export class HttpError extends Error {
  readonly code: ErrorCodeValue;
  readonly details?: unknown;
  readonly headers: Record<string, string>;
  constructor(code: ErrorCodeValue, message: string, details?: unknown, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpError';
    this.code = code;
    this.details = details;
    this.headers = headers;
  }
  get status(): number {
    return httpStatusOf(this.code);
  }
}

export function errorBody(code: ErrorCodeValue, message: string, details?: unknown): ErrorBody {
  return details === undefined ? { error: { code, message } } : { error: { code, message, details } };
}

/** A JSON answer with plain node:http calls, so Express routes and the webhook lane share it. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(json));
  res.end(res.req?.method === 'HEAD' ? undefined : json);
}

/** An error answer: the status is the code's. */
export function sendError(res: ServerResponse, code: ErrorCodeValue, message: string, details?: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  sendJson(res, httpStatusOf(code), errorBody(code, message, details));
}

/** Redis did not answer in time or is not connected: the caller should retry later (503). */
export class RedisUnavailableError extends Error {
  constructor(message = 'Redis is unavailable', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedisUnavailableError';
  }
}

// One classification for the ingress, the workers and the intake (src/redis.ts).
export { isRedisUnavailable };

export const UNAVAILABLE_RETRY_AFTER_S = 2;

export function unavailable(): HttpError {
  return new HttpError(ErrorCode.Unavailable, 'temporarily unavailable, retry later', undefined, {
    'Retry-After': String(UNAVAILABLE_RETRY_AFTER_S),
  });
}

/**
 * Rejects with `onTimeout()` if `promise` has not settled after `ms`. The underlying work is
 * not cancelled (Redis commands cannot be), which is fine for idempotent writes.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
