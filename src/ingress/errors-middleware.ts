// The last handlers: 404 in the common error shape, and every thrown error mapped to a safe
// answer. Only HttpErrors and validation errors say what went wrong; anything else is a 500
// whose detail stays in the log under the request id.
import type { ServerResponse } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { FleetError, ErrorCode } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { contextOf } from './context.ts';
import { ErrorCodes, HttpError, isRedisUnavailable, sendError, unavailable } from './http-error.ts';

export const notFound: RequestHandler = (_req, res) => {
  sendError(res, 404, ErrorCodes.NotFound, 'no such route');
};

/** body-parser (used inside bull-board) marks its client errors with `status` and `expose`. */
export function clientStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { status, expose } = err as { status?: unknown; expose?: unknown };
  return typeof status === 'number' && status >= 400 && status < 500 && expose === true ? status : undefined;
}

export function clientErrorCode(status: number): string {
  return status === 413 ? ErrorCodes.PayloadTooLarge : status === 400 ? ErrorCodes.InvalidJson : `HTTP_${status}`;
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
  if (err instanceof HttpError) {
    sendError(res, err.status, err.code, err.message, err.details, err.headers);
    return true;
  }
  if (err instanceof FleetError && err.code === ErrorCode.Validation) {
    sendError(res, 400, ErrorCodes.Validation, err.message, err.details);
    return true;
  }
  if (isRedisUnavailable(err)) {
    log.warn({ err }, 'Redis unavailable');
    const e = unavailable();
    sendError(res, e.status, e.code, e.message, undefined, e.headers);
    return true;
  }
  const clientStatus = clientStatusOf(err);
  if (clientStatus !== undefined) {
    sendError(res, clientStatus, clientErrorCode(clientStatus), (err as Error).message);
    return true;
  }
  log.error({ err }, 'unhandled error');
  sendError(res, 500, ErrorCodes.Internal, 'internal error');
  return true;
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, next) => {
    if (!answerError(err, res, logger)) next(err);
  };
}
