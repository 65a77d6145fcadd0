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
  const limiter = createRateLimiter({
    redis: deps.redis,
    prefix: deps.prefix,
    accountId: cfg.accountId,
    rps: cfg.rateLimit.rps,
    burst: cfg.rateLimit.burst,
    maxWaitMs: cfg.rateLimit.maxWaitMs,
    metrics: deps.metrics,
  });
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
      await tokens.close();
      await Promise.all([pool.close(), tokenPool.close()]);
    },
  };
}
