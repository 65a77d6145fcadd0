// The control API framework under /api. A route is a plain definition (method, path, zod
// schemas, handler returning {status, body}); the framework reads and validates the body,
// query and params, applies Idempotency-Key on POST, answers errors in one JSON shape, and
// feeds the OpenAPI document. Later issues add routes with apiRouter.route(defineRoute(...)).
import type { IncomingHttpHeaders } from 'node:http';
import { Router, type Request, type Response } from 'express';
import type { z } from 'zod';
import type { Logger } from '../../logger.ts';
import { ErrorCode, zodIssuesToFields } from '../../errors.ts';
import { contextOf, setRoute } from '../context.ts';
import { HttpError } from '../http-error.ts';
import { BodyTooLargeError, UnsupportedEncodingError, readRawBody } from '../raw-body.ts';
import { jsonShapeProblem } from '../json-bounds.ts';
import { canonicalJson } from '../webhook-kinds.ts';
import { crossSiteProblem, emptyBodyProblem, isJsonMediaType } from './cross-site.ts';
import { IDEMPOTENCY_HEADER, fingerprintOf, isSaneIdempotencyKey, type IdempotencyStore } from './idempotency.ts';

export const API_BASE_PATH = '/api';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type BodyType = 'json' | 'text';
type Schema = z.ZodType;
type Out<S, Fallback> = S extends z.ZodType ? z.output<S> : Fallback;

export interface RouteContext<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  headers: IncomingHttpHeaders;
  requestId: string;
  log: Logger;
  /** The Idempotency-Key of a POST, when the caller sent one. */
  idempotencyKey: string | undefined;
}

export interface RouteResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
}

export interface RouteDefinition<B extends Schema | undefined = Schema | undefined, Q extends Schema | undefined = Schema | undefined, P extends Schema | undefined = Schema | undefined> {
  method: HttpMethod;
  /** Express path relative to /api, e.g. '/sms/batches/:id'. */
  path: string;
  summary: string;
  description?: string;
  tags?: string[];
  body?: B;
  query?: Q;
  params?: P;
  /** Media types the body may come in; default ['json']. 'text' gives the handler a string. */
  bodyTypes?: readonly BodyType[];
  bodyLimitBytes?: number;
  responses?: Record<number, ResponseSpec>;
  // Method syntax on purpose: definitions with different schemas share one list.
  handler(ctx: RouteContext<Out<B, undefined>, Out<Q, Record<string, unknown>>, Out<P, Record<string, string>>>): Promise<RouteResult> | RouteResult;
}

export type AnyRouteDefinition = RouteDefinition<Schema | undefined, Schema | undefined, Schema | undefined>;

export function defineRoute<B extends Schema | undefined = undefined, Q extends Schema | undefined = undefined, P extends Schema | undefined = undefined>(
  def: RouteDefinition<B, Q, P>,
): RouteDefinition<B, Q, P> {
  return def;
}

export interface ApiRouter {
  readonly basePath: typeof API_BASE_PATH;
  route<B extends Schema | undefined, Q extends Schema | undefined, P extends Schema | undefined>(def: RouteDefinition<B, Q, P>): ApiRouter;
  routes(): readonly AnyRouteDefinition[];
  /** The Express router to mount at /api (routes added later are live at once). */
  readonly router: Router;
}

const WITH_BODY = new Set<HttpMethod>(['post', 'put', 'patch', 'delete']);

function validate<S extends Schema>(schema: S, value: unknown, where: 'body' | 'query' | 'params'): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = zodIssuesToFields(parsed.error.issues).map((i) => ({ ...i, path: i.path || '(root)' }));
  throw new HttpError(ErrorCode.Validation, `invalid ${where}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { in: where, issues });
}

async function readBody(req: Request, def: AnyRouteDefinition, defaultLimit: number): Promise<{ value: unknown; canonical: string }> {
  const limit = def.bodyLimitBytes ?? defaultLimit;
  let raw: Buffer;
  try {
    raw = await readRawBody(req, limit);
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw new HttpError(ErrorCode.PayloadTooLarge, `body exceeds ${limit} bytes`, undefined, { Connection: 'close' });
    if (err instanceof UnsupportedEncodingError) throw new HttpError(ErrorCode.UnsupportedMediaType, 'content-encoding not supported');
    throw err;
  }
  if (raw.length === 0) {
    const problem = emptyBodyProblem(req.headers);
    if (problem) throw new HttpError(ErrorCode.CrossSite, problem);
    return { value: undefined, canonical: '' };
  }
  const types = def.bodyTypes ?? ['json'];
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (types.includes('json') && isJsonMediaType(mediaType)) {
    let value: unknown;
    try {
      value = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new HttpError(ErrorCode.InvalidJson, 'body is not valid JSON');
    }
    const tooComplex = jsonShapeProblem(value);
    if (tooComplex) throw new HttpError(ErrorCode.JsonTooComplex, tooComplex);
    return { value, canonical: canonicalJson(value) };
  }
  if (types.includes('text') && mediaType.startsWith('text/')) {
    const text = raw.toString('utf8');
    return { value: text, canonical: JSON.stringify(text) };
  }
  const accepted = types.map((t) => (t === 'json' ? 'application/json' : 'text/plain')).join(', ');
  throw new HttpError(ErrorCode.UnsupportedMediaType, `expected ${accepted}`);
}

function send(res: Response, result: RouteResult, replayed = false): void {
  for (const [k, v] of Object.entries(result.headers ?? {})) res.setHeader(k, v);
  if (replayed) res.setHeader('Idempotent-Replayed', 'true');
  if (result.body === undefined) res.status(result.status).end();
  else res.status(result.status).json(result.body);
}

const ALLOWED = Symbol('allowed methods');
function allowedOf(res: Response): Set<string> {
  const r = res as Response & { [ALLOWED]?: Set<string> };
  return (r[ALLOWED] ??= new Set());
}

export function createApiRouter(deps: {
  idempotency: IdempotencyStore;
  bodyLimitBytes: number;
  /** Origins besides the request's own host that may change state (PUBLIC_URL's). */
  allowedOrigins?: readonly string[];
}): ApiRouter {
  // Routes go on `routes`; a request no route took reaches `methods`, which collects the
  // methods of every path it matches: any -> 405 with Allow, none -> on to the 404.
  const router = Router();
  const routes = Router();
  const methods = Router();
  router.use(routes, methods, (req, res, next) => {
    const allow = allowedOf(res);
    if (allow.size === 0) {
      next();
      return;
    }
    if (allow.has('GET')) allow.add('HEAD');
    const list = [...allow].join(', ');
    throw new HttpError(ErrorCode.MethodNotAllowed, `${req.method} is not allowed here; use ${list}`, { allow: [...allow] }, { Allow: list });
  });
  const defs: AnyRouteDefinition[] = [];

  const api: ApiRouter = {
    basePath: API_BASE_PATH,
    router,
    routes: () => defs,
    route(input) {
      const def = input as unknown as AnyRouteDefinition;
      if (defs.some((d) => d.method === def.method && d.path === def.path)) {
        throw new Error(`API route ${def.method.toUpperCase()} ${def.path} is defined twice`);
      }
      if (!defs.some((d) => d.path === def.path)) {
        methods.all(def.path, (_req, res, next) => {
          for (const d of defs) if (d.path === def.path) allowedOf(res).add(d.method.toUpperCase());
          next();
        });
      }
      defs.push(def);
      routes[def.method](def.path, async (req, res) => {
        setRoute(res, `${API_BASE_PATH}${def.path}`);
        const ctx = contextOf(res);
        if (WITH_BODY.has(def.method)) {
          const crossSite = crossSiteProblem(req.headers, deps.allowedOrigins);
          if (crossSite) throw new HttpError(ErrorCode.CrossSite, crossSite);
        }
        const body = WITH_BODY.has(def.method) ? await readBody(req, def, deps.bodyLimitBytes) : { value: undefined, canonical: '' };
        const context = {
          body: def.body ? validate(def.body, body.value, 'body') : undefined,
          query: def.query ? validate(def.query, req.query, 'query') : { ...req.query },
          params: def.params ? validate(def.params, req.params, 'params') : { ...req.params },
          headers: req.headers,
          requestId: ctx.requestId,
          get log() {
            return ctx.log;
          },
          idempotencyKey: undefined as string | undefined,
        };

        const key = def.method === 'post' ? req.headers[IDEMPOTENCY_HEADER] : undefined;
        if (key === undefined) {
          send(res, await def.handler(context));
          return;
        }
        if (typeof key !== 'string' || !isSaneIdempotencyKey(key)) {
          throw new HttpError(ErrorCode.Validation, 'Idempotency-Key must be 1-255 printable ASCII characters', {
            in: 'header',
            issues: [{ path: 'Idempotency-Key', message: 'invalid' }],
          });
        }
        context.idempotencyKey = key;
        const fp = fingerprintOf(def.method, req.originalUrl.split('?')[0] ?? '', body.canonical);
        const begun = await deps.idempotency.begin(key, fp);
        if (begun.kind === 'conflict') {
          throw new HttpError(ErrorCode.IdempotencyKeyReused, 'Idempotency-Key was already used with a different request');
        }
        if (begun.kind === 'in-progress') {
          throw new HttpError(ErrorCode.IdempotencyInProgress, 'a request with this Idempotency-Key is in progress', undefined, { 'Retry-After': '1' });
        }
        if (begun.kind === 'replay') {
          send(res, begun.answer, true);
          return;
        }
        let result: RouteResult;
        try {
          result = await def.handler(context);
        } catch (err) {
          // An error answer is not the work's outcome: free the key so a retry can run it.
          await deps.idempotency.release(key).catch(() => undefined);
          throw err;
        }
        if (result.status >= 500) await deps.idempotency.release(key).catch(() => undefined);
        else await deps.idempotency.complete(key, fp, { status: result.status, body: result.body });
        send(res, result);
      });
      return api;
    },
  };
  return api;
}
