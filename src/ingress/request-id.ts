// Request id, per-request child logger, one JSON log line and the HTTP metrics per request.
// The id is taken from `x-request-id` when it looks sane (so a proxy's id carries through),
// else generated; it is echoed on the response and copied into enqueued jobs.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { setContext, type RequestContext } from './context.ts';

export const REQUEST_ID_HEADER = 'x-request-id';
const SANE_ID = /^[A-Za-z0-9._:@+=-]{1,128}$/;
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && SANE_ID.test(header) ? header : randomUUID();
}

/** Route label for requests no route claimed: grouped by area so labels stay bounded. */
function fallbackRoute(path: string): string {
  if (path.startsWith('/admin/queues')) return '/admin/queues/*';
  if (path.startsWith('/api/')) return '/api/*';
  if (path.startsWith('/webhooks/')) return '/webhooks/*';
  return 'unmatched';
}

/**
 * prom-client hashes the label object on every inc/observe; the label sets of the ingress are
 * few (bounded routes and statuses), so their bound children are kept and reused.
 */
function httpMetricsRecorder(metrics: Metrics): (method: string, route: string, status: number, seconds: number) => void {
  const counters = new Map<string, { inc(): void }>();
  const histograms = new Map<string, { observe(v: number): void }>();
  return (method, route, status, seconds) => {
    const key = `${method} ${route}`;
    let histogram = histograms.get(key);
    if (!histogram) histograms.set(key, (histogram = metrics.httpLatency.labels(method, route)));
    const statusKey = `${key} ${status}`;
    let counter = counters.get(statusKey);
    if (!counter) counters.set(statusKey, (counter = metrics.httpRequests.labels(method, route, String(status))));
    counter.inc();
    histogram.observe(seconds);
  };
}

export interface RequestTrackerDeps {
  logger: Logger;
  metrics: Metrics;
  draining: () => boolean;
  /** Answers not yet finished, so draining can mark them Connection: close too. */
  inFlight: Set<ServerResponse>;
}

/** Starts a request's context: id, log, metrics and access line when it ends. */
export type BeginRequest = (req: IncomingMessage, res: ServerResponse, path: string) => RequestContext;

/**
 * What every request gets, whichever way it is served (Express, or the webhook lane on
 * plain node:http): the request id (echoed), a context, and on close the HTTP metrics and
 * one access line.
 */
export function createRequestTracker(deps: RequestTrackerDeps): BeginRequest {
  const record = httpMetricsRecorder(deps.metrics);
  return (req, res, path) => {
    const requestId = requestIdOf(req.headers[REQUEST_ID_HEADER]);
    let child: Logger | undefined;
    const ctx: RequestContext = {
      requestId,
      get log() {
        return (child ??= deps.logger.child({ requestId }));
      },
      startedAt: process.hrtime.bigint(),
      route: fallbackRoute(path),
      fields: {},
    };
    setContext(res, ctx);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    // While shutting down, ask keep-alive clients to reconnect elsewhere.
    if (deps.draining()) res.setHeader('Connection', 'close');

    const method = req.method && METHODS.has(req.method) ? req.method : 'OTHER';
    deps.inFlight.add(res);
    res.once('close', () => {
      deps.inFlight.delete(res);
      const seconds = Number(process.hrtime.bigint() - ctx.startedAt) / 1e9;
      // 499 (nginx's convention) marks a client that went away before the answer was sent.
      const status = res.writableFinished ? res.statusCode : 499;
      record(method, ctx.route, status, seconds);
      const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
      // One access line per request; like every line it passes the logger's redaction, a
      // walk over key names that copies nothing when, as here, no secret is in it.
      deps.logger[level]({ requestId, method, route: ctx.route, status, ms: Math.round(seconds * 1e5) / 100, ...ctx.fields }, 'request');
    });
    return ctx;
  };
}

/** The tracker as the first Express middleware. */
export function requestContext(begin: BeginRequest): RequestHandler {
  return (req, res, next) => {
    begin(req, res, req.path);
    next();
  };
}
