// The last handlers: 404 in the common error shape, and every thrown error mapped to a safe
// answer by errorAnswer. Refusals (HttpError, FleetError) say what went wrong; anything else
// is a 500 whose detail stays in the log under the request id.
import type { ServerResponse } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ErrorCode, FleetError, RateLimitedError, httpStatusOf, type ErrorCodeValue } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { contextOf } from './context.ts';
import { HttpError, errorBody, isRedisUnavailable, sendError, sendJson, unavailable, type ErrorBody } from './http-error.ts';

export const notFound: RequestHandler = (_req, res) => {
  sendError(res, ErrorCode.NotFound, 'no such route');
};

/** body-parser (used inside bull-board) marks its client errors with `status` and `expose`. */
export function clientStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { status, expose } = err as { status?: unknown; expose?: unknown };
  return typeof status === 'number' && status >= 400 && status < 500 && expose === true ? status : undefined;
}

export function clientErrorCode(status: number): ErrorCodeValue {
  if (status === 413) return ErrorCode.PayloadTooLarge;
  if (status === 415) return ErrorCode.UnsupportedMediaType;
  return status === 400 ? ErrorCode.InvalidJson : ErrorCode.BadRequest;
}

export interface ErrorAnswer {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** How the error is logged: a refusal is the caller's business, not the fleet's. */
  log: 'none' | 'warn' | 'error';
}

function answer(code: ErrorCodeValue, message: string, opts: { details?: unknown; headers?: Record<string, string>; log?: ErrorAnswer['log'] } = {}): ErrorAnswer {
  return { status: httpStatusOf(code), body: errorBody(code, message, opts.details), headers: opts.headers ?? {}, log: opts.log ?? 'none' };
}

/**
 * The one mapping of any error to an HTTP answer. A FleetError says its code and message;
 * only a validation error's details (the fields and why) go out, as the details of others
 * can hold what CXone answered.
 */
export function errorAnswer(err: unknown): ErrorAnswer {
  if (err instanceof HttpError) return answer(err.code, err.message, { details: err.details, headers: err.headers });
  if (err instanceof RateLimitedError) {
    return answer(err.code, err.message, { headers: { 'Retry-After': String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))) }, log: 'warn' });
  }
  if (err instanceof FleetError) {
    if (err.code === ErrorCode.Validation) return answer(err.code, err.message, { details: err.details });
    return answer(err.code, err.message, { log: httpStatusOf(err.code) >= 500 ? 'error' : 'none' });
  }
  if (isRedisUnavailable(err)) {
    const e = unavailable();
    return answer(e.code, e.message, { headers: e.headers, log: 'warn' });
  }
  const clientStatus = clientStatusOf(err);
  if (clientStatus !== undefined) return answer(clientErrorCode(clientStatus), (err as Error).message);
  return answer(ErrorCode.Internal, 'internal error', { log: 'error' });
}

/**
 * Answers a thrown error with a safe JSON error, on any node:http response (Express's last
 * handler and the webhook lane both end here). Returns false when the answer had already
 * started and nothing can be sent any more: the caller then ends the response its own way.
 */
export function answerError(err: unknown, res: ServerResponse, logger: Logger): boolean {
  let log = logger;
  try {
    log = contextOf(res).log;
  } catch {
    // context missing: the error happened before requestContext ran
  }
  if (res.headersSent) {
    log.error({ err }, 'error after the answer started');
    return false;
  }
  const a = errorAnswer(err);
  if (a.log === 'error') log.error({ err }, 'unhandled error');
  else if (a.log === 'warn') log.warn({ err }, a.body.error.message);
  for (const [k, v] of Object.entries(a.headers)) res.setHeader(k, v);
  sendJson(res, a.status, a.body);
  return true;
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, next) => {
    if (!answerError(err, res, logger)) next(err);
  };
}
