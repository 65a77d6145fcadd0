// Builds everything one CXone account needs: a keep-alive pool, the Redis token cache,
// the fleet-wide limiter and breaker, and the client that ties them together. Keys carry
// the account id, so a process can serve several accounts side by side.
import type { CxoneAccountConfig } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { RedisConnection } from '../redis.ts';
import { createClientCredentialsFetcher } from './auth.ts';
import { createBreaker, type Breaker } from './breaker.ts';
import { resolveEndpoints } from './endpoints.ts';
import { createCxoneClient, createCxonePool, type CxoneClient } from './http.ts';
import { createRateLimiter, type RateLimiter } from './rate-limiter.ts';
import { createTokenCache, type TokenCache } from './token-cache.ts';

export interface CxoneAccount {
  client: CxoneClient;
  tokens: TokenCache;
  limiter: RateLimiter;
  breaker: Breaker;
  close(): Promise<void>;
}

/**
 * The limiter's figures from the account's budgets. GCRA lets at most rate + burst - 1 calls
 * into any sliding second, so with a burst the rate is lowered to keep that under the limit;
 * each budget keeps its headroom for the network and an upstream's own jitter. A per-minute
 * or per-hour budget is a least spacing of calls: even pacing, never a minute's worth at once.
 * A call that reaches its slot late (a GC pause, a busy or descheduled process) would go
 * out in a bunch with the calls due after it; sent L ms late it adds up to rate x L to some
 * second, so lateness may use half the headroom (15 ms at 3%) and the network the rest.
 */
export function limiterBudget(rl: CxoneAccountConfig['rateLimit']) {
  const keep = 1 - rl.headroom;
  const perSecond = rl.rps * keep;
  const windows = [rl.perMin && 60_000 / (rl.perMin * keep), rl.perHour && 3_600_000 / (rl.perHour * keep)];
  return {
    rps: rl.rpsConfigured ? Math.max(perSecond - (rl.burst - 1), perSecond / 2) : rl.rps,
    burst: rl.burst,
    minIntervalMs: Math.max(0, ...windows.map((w) => w ?? 0)),
    maxWaitMs: rl.maxWaitMs,
    lateMs: Math.max(2, rl.headroom * 500),
    adaptive: rl.adaptive,
    backoff: rl.backoff,
  };
}

export function createCxoneAccount(
  cfg: CxoneAccountConfig,
  deps: { redis: RedisConnection; prefix: string; logger: Logger; metrics?: Metrics },
): CxoneAccount {
  const endpoints = resolveEndpoints(cfg.endpointOverrides);
  const pool = createCxonePool(cfg.baseUrl, cfg.http);
  const tokenUrl = cfg.tokenUrl ?? `${cfg.baseUrl}${endpoints.token.path}`;
  // A pool is bound to one origin and ignores a request's own: the token endpoint may live
  // on another host, so it gets its own small pool (never the API host by mistake).
  const tokenPool = createCxonePool(tokenUrl, { ...cfg.http, connections: 2 });
  const logger = deps.logger.child({ accountId: cfg.accountId });
  const tokens = createTokenCache({
    redis: deps.redis,
    prefix: deps.prefix,
    accountId: cfg.accountId,
    refreshMarginMs: cfg.refreshMarginMs,
    logger,
    metrics: deps.metrics,
    fetchToken: createClientCredentialsFetcher(
      { tokenUrl, clientId: cfg.clientId, clientSecret: cfg.clientSecret, authStyle: cfg.authStyle, scope: cfg.scope },
      tokenPool,
    ),
  });
  const limiter = createRateLimiter({ redis: deps.redis, prefix: deps.prefix, accountId: cfg.accountId, ...limiterBudget(cfg.rateLimit), metrics: deps.metrics });
  const breaker = createBreaker({ redis: deps.redis, prefix: deps.prefix, accountId: cfg.accountId, ...cfg.breaker, metrics: deps.metrics });
  const client = createCxoneClient({
    accountId: cfg.accountId,
    baseUrl: cfg.baseUrl,
    endpoints,
    dispatcher: pool,
    tokens,
    limiter,
    breaker,
    logger,
    metrics: deps.metrics,
  });
  return {
    client,
    tokens,
    limiter,
    breaker,
    async close() {
      await limiter.close();
      await tokens.close();
      await Promise.all([pool.close(), tokenPool.close()]);
    },
  };
}
