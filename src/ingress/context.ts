// Per-request state kept on the response under a symbol, with a typed accessor, so route
// files need no global Express type augmentation and the webhook lane, which answers on a
// plain node:http response without Express, reads it the same way.
import type { ServerResponse } from 'node:http';
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

const KEY = Symbol('cxoneFleetContext');
type WithContext = ServerResponse & { [KEY]?: RequestContext };

export function setContext(res: ServerResponse, ctx: RequestContext): void {
  (res as WithContext)[KEY] = ctx;
}

export function contextOf(res: ServerResponse): RequestContext {
  const ctx = (res as WithContext)[KEY];
  if (!ctx) throw new Error('request context missing: requestContext middleware must run first');
  return ctx;
}

export function setRoute(res: ServerResponse, route: string): void {
  contextOf(res).route = route;
}
