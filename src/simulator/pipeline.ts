// The request pipeline every API call goes through, in CXone gateway order:
// arrival counted -> fault injection -> body (413) -> bearer token (401) -> account rate
// limit (429) -> scope (403) -> module handler -> response after the injected latency.
// The token endpoint shares only the latency part.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClientConfig, ConfigStore, SimLogger } from './config.ts';
import { FaultKind, latencyFor, pickFault, serverErrorResponse } from './faults.ts';
import { ClientGone, HttpProblem, methodNotAllowed, notFound, readBody, writeJson } from './http-io.ts';
import type { SimResponse } from './http-io.ts';
import { authenticate, handleTokenRequest, requireScope } from './oauth.ts';
import type { TokenStore } from './oauth.ts';
import type { AccountLimiters } from './rate-limit.ts';
import type { RouteMatch, Router } from './router.ts';
import type { SimRoute } from './sim-module.ts';
import type { CoreStats } from './stats.ts';
import type { TimerSet } from './timer-set.ts';

export interface PipelineDeps {
  router: Router<SimRoute>;
  tokens: TokenStore;
  clients: readonly ClientConfig[];
  limiter: AccountLimiters;
  stats: CoreStats;
  config: ConfigStore;
  timers: TimerSet;
  /** Responses a timeout fault is sitting on; close() destroys their sockets. */
  held: Set<ServerResponse>;
  now: () => number;
  logger: SimLogger;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse, pathname: string, search: string) => void;

const INTERNAL_ERROR: SimResponse = { status: 500, body: { error: 'internal', message: 'simulator bug' } };

export function createPipeline(deps: PipelineDeps): { api: RequestHandler; token: RequestHandler } {
  const { stats, logger } = deps;

  const respond = (res: ServerResponse, r: SimResponse, delayMs: number): void => {
    const write = (): void => {
      if (writeJson(res, r)) stats.response(r.status);
    };
    if (delayMs > 0) deps.timers.after(delayMs, write);
    else write();
  };

  const fail = (res: ServerResponse, err: unknown): void => {
    logger.error({ err }, 'simulator handler failed');
    respond(res, INTERNAL_ERROR, 0);
  };

  const hold = (req: IncomingMessage, res: ServerResponse): void => {
    deps.held.add(res);
    req.resume();
    res.once('close', () => deps.held.delete(res));
  };

  async function run(
    req: IncomingMessage,
    m: Extract<RouteMatch<SimRoute>, { kind: 'found' }>,
    search: string,
    t: number,
  ): Promise<SimResponse | null> {
    try {
      const body = await readBody(req);
      const auth = authenticate(req.headers.authorization, deps.tokens);
      stats.accountRequest(auth.accountId, t);
      const verdict = deps.limiter.check(auth.accountId, t);
      if (!verdict.ok) {
        stats.rateLimited(auth.accountId);
        const body = { error: 'rate_limited', message: 'too many requests' };
        if (verdict.retryAfterS === null) return { status: 429, body };
        return { status: 429, headers: { 'retry-after': String(verdict.retryAfterS) }, body: { ...body, retryAfterS: verdict.retryAfterS } };
      }
      requireScope(auth, m.route.scope);
      return await m.route.handle({ req, params: m.params, query: new URLSearchParams(search), body, auth, now: t });
    } catch (err) {
      if (err instanceof HttpProblem) return err.toResponse();
      if (err instanceof ClientGone) return null;
      throw err;
    }
  }

  const api: RequestHandler = (req, res, pathname, search) => {
    const t = deps.now();
    const method = req.method ?? 'GET';
    const m = deps.router.match(method, pathname);
    if (m === null || m.kind === 'method-not-allowed') {
      stats.arrive('unmatched', t);
      respond(res, m === null ? notFound(method, pathname) : methodNotAllowed(m.allow), 0);
      return;
    }
    stats.arrive(m.key, t);

    const faults = deps.config.current.faults;
    const fault = faults ? pickFault(faults, Math.random()) : FaultKind.None;
    if (fault === FaultKind.Drop) {
      stats.fault('drops');
      req.socket.destroy();
      return;
    }
    if (fault === FaultKind.Timeout) {
      stats.fault('timeouts');
      hold(req, res);
      return;
    }
    const delay = latencyFor(faults, Math.random());
    if (fault === FaultKind.Error) {
      stats.fault('errors');
      respond(res, serverErrorResponse(Math.random()), delay);
      return;
    }
    const late = fault === FaultKind.Late;
    if (late) stats.fault('late');
    void run(req, m, search, t)
      .then((r) => {
        if (!r) return;
        if (late && faults?.lateResponseMs === undefined) hold(req, res);
        else respond(res, r, late ? (faults?.lateResponseMs ?? 0) : delay);
      })
      .catch((err: unknown) => fail(res, err));
  };

  const token: RequestHandler = (req, res) => {
    stats.tokenRequest();
    const delay = latencyFor(deps.config.current.faults, Math.random());
    if (req.method !== 'POST') {
      respond(res, methodNotAllowed(['POST']), delay);
      return;
    }
    void readBody(req, 64 * 1024)
      .then((body) =>
        handleTokenRequest(
          { authorization: req.headers.authorization, contentType: req.headers['content-type'], body },
          deps.clients,
          deps.tokens,
          deps.config.current.tokenLifetimeS,
        ),
      )
      .then((r) => {
        if (r.status === 200) {
          stats.tokenIssued();
          const issued = deps.tokens.lookup((r.body as { access_token: string }).access_token);
          if (issued) stats.accountToken(issued.accountId);
        }
        respond(res, r, delay);
      })
      .catch((err: unknown) => {
        if (err instanceof HttpProblem) respond(res, err.toResponse(), delay);
        else if (!(err instanceof ClientGone)) fail(res, err);
      });
  };

  return { api, token };
}
