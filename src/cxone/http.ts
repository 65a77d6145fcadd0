// The one HTTP path to CXone. Every call: token → breaker check → fleet-wide limiter →
// request on a keep-alive pool → status mapped to the error taxonomy → body parsed with zod.
// The only retry here is the single one after a 401 with a refreshed token; everything
// else is the queue's business (attempts + backoff), so a job never loops in a worker.
import { Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { CxoneHttpError, ErrorCode, FleetError, PermanentError, RateLimitedError, TransientError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { Breaker } from './breaker.ts';
import { buildPath, type EndpointMap, type EndpointName } from './endpoints.ts';
import type { RateLimiter } from './rate-limiter.ts';
import type { TokenCache } from './token-cache.ts';

export interface CxoneRequest<S extends z.ZodType | undefined = undefined> {
  params?: Record<string, string | number>;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  idempotencyKey?: string;
  ifMatch?: string;
  signal?: AbortSignal;
  schema?: S;
}

export interface CxoneResponse<T> {
  status: number;
  /** Time of the HTTP exchange alone (no limiter or token wait). */
  latencyMs: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

export interface CxoneClient {
  readonly accountId: string;
  request<S extends z.ZodType | undefined = undefined>(
    endpoint: EndpointName,
    req?: CxoneRequest<S>,
  ): Promise<CxoneResponse<S extends z.ZodType ? z.infer<S> : unknown>>;
}

export interface CxoneClientDeps {
  accountId: string;
  baseUrl: string;
  endpoints: EndpointMap;
  dispatcher: Dispatcher;
  tokens: TokenCache;
  limiter: RateLimiter;
  breaker: Breaker;
  logger: Logger;
  metrics?: Metrics;
}

export function createCxonePool(
  baseUrl: string,
  http: { connectTimeoutMs: number; headersTimeoutMs: number; bodyTimeoutMs: number; connections: number },
): Pool {
  return new Pool(new URL(baseUrl).origin, {
    connections: http.connections,
    connectTimeout: http.connectTimeoutMs,
    headersTimeout: http.headersTimeoutMs,
    bodyTimeout: http.bodyTimeoutMs,
    keepAliveTimeout: 30_000,
    pipelining: 1,
  });
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Math.ceil(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (!text) return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/** An error body as a record for error details (never echoed into logs with secrets). */
function describeBody(text: string): Record<string, unknown> {
  const j = parseJson(text);
  return j.ok && typeof j.value === 'object' && j.value !== null
    ? (j.value as Record<string, unknown>)
    : { body: text.slice(0, 500) };
}

/** Maps a non-2xx status to the taxonomy (401 and 429 are handled by the caller first). */
export function errorForStatus(status: number, endpoint: string, body: Record<string, unknown>): FleetError {
  const msg = (what: string) => `CXone ${endpoint} answered ${status} ${what}`;
  if (status === 403) {
    const scope = typeof body.scope === 'string' ? body.scope : undefined;
    return new CxoneHttpError(msg(scope ? `(missing scope ${scope})` : '(forbidden)'), status, endpoint, {
      code: ErrorCode.CxoneForbidden,
      retryable: false,
      details: { scope, response: body },
    });
  }
  if (status === 404) return new CxoneHttpError(msg('(not found)'), status, endpoint, { code: ErrorCode.CxoneNotFound, retryable: false, details: { response: body } });
  if (status === 409) return new CxoneHttpError(msg('(conflict)'), status, endpoint, { code: ErrorCode.CxoneConflict, retryable: true, details: { response: body } });
  if (status === 412) return new CxoneHttpError(msg('(precondition failed)'), status, endpoint, { code: ErrorCode.CxonePreconditionFailed, retryable: true, details: { response: body } });
  if (status >= 500) return new CxoneHttpError(msg('(server error)'), status, endpoint, { code: ErrorCode.CxoneServerError, retryable: true, details: { response: body } });
  return new CxoneHttpError(msg('(request refused)'), status, endpoint, { code: ErrorCode.CxoneBadRequest, retryable: false, details: { response: body } });
}

// Failures that prove the request never left: nothing reached CXone.
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

function transportError(err: unknown, endpoint: string): FleetError {
  if (err instanceof FleetError) return err;
  const e = err as Error & { code?: string };
  // Anything but a failure to connect may come after the request was written (a response
  // timeout, a reset, an abort mid-exchange): CXone may have acted on it. Marked, so a send
  // that ends this way is `unknown`, not `failed`.
  const notSent = err instanceof undiciErrors.ConnectTimeoutError || (e.code !== undefined && NOT_SENT_CODES.has(e.code));
  const details = notSent ? undefined : { outcomeUnknown: true };
  if (e.name === 'AbortError' || e.code === 'ABORT_ERR') {
    return new TransientError(`CXone ${endpoint} call aborted`, { code: ErrorCode.Aborted, cause: err, details });
  }
  const timeout =
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    err instanceof undiciErrors.ConnectTimeoutError;
  return new TransientError(`CXone ${endpoint} call failed: ${e.message}`, {
    code: timeout ? ErrorCode.CxoneTimeout : ErrorCode.CxoneNetwork,
    cause: err,
    details,
  });
}

export function createCxoneClient(deps: CxoneClientDeps): CxoneClient {
  const origin = new URL(deps.baseUrl).origin;
  const basePath = new URL(deps.baseUrl).pathname.replace(/\/+$/, '');

  async function send(endpoint: EndpointName, req: CxoneRequest<z.ZodType | undefined>, token: string) {
    const ep = deps.endpoints[endpoint];
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) qs.set(k, String(v));
    const path = basePath + buildPath(ep.path, req.params) + (qs.size ? `?${qs.toString()}` : '');
    const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${token}`, ...req.headers };
    if (req.idempotencyKey) headers['idempotency-key'] = req.idempotencyKey;
    if (req.ifMatch) headers['if-match'] = req.ifMatch;
    let body: string | undefined;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['content-type'] = 'application/json';
    }
    const started = performance.now();
    const res = await deps.dispatcher.request({ origin, path, method: ep.method, headers, body, signal: req.signal });
    // Always read the body to the end: an unread body pins the keep-alive socket.
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text, latencyMs: performance.now() - started };
  }

  return {
    accountId: deps.accountId,
    async request(endpoint, req = {}) {
      let refreshed = false;
      for (;;) {
        // Token first, slot second: a slot booked before a token wait would be spent late,
        // and many late slots arrive at CXone together as a burst. The breaker is asked
        // before the slot, so an open circuit spends none.
        const token = await deps.tokens.getToken(req.signal);
        const mustRecordSuccess = await deps.breaker.check();
        await deps.limiter.acquire(req.signal);
        const started = performance.now();
        let res: Awaited<ReturnType<typeof send>>;
        try {
          res = await send(endpoint, req, token);
        } catch (err) {
          const mapped = transportError(err, endpoint);
          deps.metrics?.cxoneCalls.inc({ endpoint, status: '0' });
          deps.metrics?.cxoneLatency.observe({ endpoint }, (performance.now() - started) / 1000);
          if (mapped.code !== ErrorCode.Aborted) await deps.breaker.record(false);
          throw mapped;
        }
        deps.metrics?.cxoneLatency.observe({ endpoint }, res.latencyMs / 1000);
        deps.metrics?.cxoneCalls.inc({ endpoint, status: String(res.status) });

        if (res.status === 401 && !refreshed) {
          // A stale token: drop it (unless someone already replaced it) and try once more.
          refreshed = true;
          await deps.tokens.invalidate(token);
          continue;
        }
        if (res.status === 429) {
          // Without Retry-After (CXone often sends none) the limiter backs off instead.
          const pauseMs = await deps.limiter.rateLimited(parseRetryAfter(res.headers['retry-after']));
          deps.metrics?.cxoneRateLimited.inc({ account: deps.accountId });
          deps.logger.warn({ endpoint, pauseMs, accountId: deps.accountId }, 'CXone 429: account paused');
          throw new RateLimitedError(`CXone ${endpoint} answered 429`, Math.max(1, Math.ceil(pauseMs)), { details: { endpoint } });
        }
        if (res.status >= 500 || mustRecordSuccess) await deps.breaker.record(res.status < 500);
        if (res.status === 401) {
          throw new CxoneHttpError(`CXone ${endpoint} answered 401 after a token refresh`, 401, endpoint, {
            code: ErrorCode.CxoneUnauthorized,
            retryable: false,
          });
        }
        if (res.status < 200 || res.status >= 300) throw errorForStatus(res.status, endpoint, describeBody(res.text));

        const json = parseJson(res.text);
        if (!json.ok) {
          throw new PermanentError(`CXone ${endpoint} answered ${res.status} with a body that is not JSON`, {
            code: ErrorCode.CxoneBadResponse,
          });
        }
        const latencyMs = Math.round(res.latencyMs);
        if (!req.schema) return { status: res.status, latencyMs, headers: res.headers, body: json.value as never };
        const checked = req.schema.safeParse(json.value);
        if (!checked.success) {
          throw new PermanentError(`CXone ${endpoint} answered an unexpected body: ${checked.error.issues[0]?.message}`, {
            code: ErrorCode.CxoneBadResponse,
            details: { issues: checked.error.issues.slice(0, 5) },
          });
        }
        return { status: res.status, latencyMs, headers: res.headers, body: checked.data as never };
      }
    },
  };
}
