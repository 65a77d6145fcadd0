// Per-request state kept in res.locals under one key, with a typed accessor, so route files
// do not need a global Express type augmentation.
import type { Response } from 'express';
import type { Logger } from '../logger.ts';

export interface RequestContext {
  requestId: string;
  /** Child logger carrying the request id (created on first use: most requests never need it). */
  readonly log: Logger;
  startedAt: bigint;
  /** Bounded route label for metrics and logs (never the raw URL: unbounded cardinality). */
  route: string;
  /** Extra fields for the request's one log line (webhook kind, job id, rejection reason...). */
  fields: Record<string, unknown>;
}

const KEY = 'cxoneFleetContext';

export function setContext(res: Response, ctx: RequestContext): void {
  (res.locals as Record<string, unknown>)[KEY] = ctx;
}

export function contextOf(res: Response): RequestContext {
  const ctx = (res.locals as Record<string, unknown>)[KEY] as RequestContext | undefined;
  if (!ctx) throw new Error('request context missing: requestContext middleware must run first');
  return ctx;
}

export function setRoute(res: Response, route: string): void {
  contextOf(res).route = route;
}
