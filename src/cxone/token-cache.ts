// One OAuth token per account per lifetime, fleet-wide. The token and its expiry live in
// Redis; the process that finds it missing or inside the refresh margin takes a Redis lock
// and fetches a new one; everyone else keeps using the still-valid token or, when there is
// none, waits for the holder's publish instead of fetching its own. An in-process copy
// spares a Redis round trip per call, and an in-process single flight makes 500
// concurrent callers one Redis read.
import { randomUUID } from 'node:crypto';
import { ErrorCode, TransientError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { fleetKey, type RedisConnection } from '../redis.ts';

export interface FetchedToken {
  accessToken: string;
  expiresInS: number;
}

export type TokenFetcher = (signal?: AbortSignal) => Promise<FetchedToken>;

export interface TokenCacheOptions {
  redis: RedisConnection;
  prefix: string;
  accountId: string;
  fetchToken: TokenFetcher;
  refreshMarginMs: number;
  /** How long a refresh may hold the lock before another process may try. */
  lockTtlMs?: number;
  logger: Logger;
  metrics?: Metrics;
}

export interface TokenCache {
  getToken(signal?: AbortSignal): Promise<string>;
  /** Drops `staleToken` (after a 401) unless another process already replaced it. */
  invalidate(staleToken: string): Promise<void>;
  close(): Promise<void>;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

const RELEASE_LOCK_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const INVALIDATE_LUA = `if redis.call('HGET', KEYS[1], 'token') == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export function tokenKeys(prefix: string, accountId: string) {
  return {
    token: fleetKey(prefix, 'token', accountId),
    lock: fleetKey(prefix, 'token', accountId, 'lock'),
    channel: fleetKey(prefix, 'token', accountId, 'refreshed'),
  };
}

export function createTokenCache(opts: TokenCacheOptions): TokenCache {
  const keys = tokenKeys(opts.prefix, opts.accountId);
  const lockTtlMs = opts.lockTtlMs ?? 15_000;
  const owner = randomUUID();
  let local: CachedToken | undefined;
  let inflight: Promise<string> | undefined;
  let subscriber: RedisConnection | undefined;
  const waiters = new Set<() => void>();

  const fresh = (t: CachedToken | undefined, now = Date.now()) => !!t && now < t.expiresAt - opts.refreshMarginMs;
  const usable = (t: CachedToken | undefined, now = Date.now()) => !!t && now < t.expiresAt - 1_000;

  async function readShared(): Promise<CachedToken | undefined> {
    const h = await opts.redis.hgetall(keys.token);
    if (!h.token || !h.expiresAt) return undefined;
    return { token: h.token, expiresAt: Number(h.expiresAt) };
  }

  async function ensureSubscribed(): Promise<void> {
    if (subscriber) return;
    // Both Redis and Cluster duplicate; ioredis 6's union of their signatures is not callable.
    const sub = (opts.redis as { duplicate(): RedisConnection }).duplicate();
    subscriber = sub;
    sub.on('error', (err: Error) => opts.logger.warn({ err }, 'token subscriber error'));
    sub.on('message', () => {
      for (const wake of [...waiters]) wake();
    });
    await sub.subscribe(keys.channel);
  }

  /**
   * Registers a waiter for the refreshing process's publish (or the lock's lifetime) at
   * once, so a publish that lands while the caller re-reads Redis is not missed.
   */
  function waitForRefresh(signal?: AbortSignal): { done: Promise<void>; cancel(): void } {
    let finish = () => {};
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(() => finish(), lockTtlMs);
      finish = () => {
        clearTimeout(timer);
        waiters.delete(finish);
        signal?.removeEventListener('abort', finish);
        resolve();
      };
      waiters.add(finish);
      signal?.addEventListener('abort', finish, { once: true });
    });
    return { done, cancel: () => finish() };
  }

  async function refreshHoldingLock(signal?: AbortSignal): Promise<CachedToken> {
    try {
      // The lock must outlive the fetch: once it expires another process takes it and asks
      // for a second token while this one may still get its own. The HTTP timeouts alone
      // (connect + headers + body) can add up past the lock, so the fetch is cut off with
      // a fifth of the lock's lifetime left for storing the token.
      const bound = AbortSignal.timeout(Math.floor(lockTtlMs * 0.8));
      const fetched = await opts.fetchToken(signal ? AbortSignal.any([signal, bound]) : bound);
      const t = { token: fetched.accessToken, expiresAt: Date.now() + fetched.expiresInS * 1000 };
      await opts.redis
        .multi()
        .hset(keys.token, 'token', t.token, 'expiresAt', String(t.expiresAt))
        .pexpireat(keys.token, t.expiresAt)
        .publish(keys.channel, String(t.expiresAt))
        .exec();
      opts.metrics?.tokenRefreshes.inc({ account: opts.accountId, result: 'ok' });
      opts.logger.info({ accountId: opts.accountId, expiresInS: fetched.expiresInS }, 'CXone token refreshed');
      await releaseLock();
      return t;
    } catch (err) {
      opts.metrics?.tokenRefreshes.inc({ account: opts.accountId, result: 'error' });
      await releaseLock();
      // Wake the waiting processes now, with the lock free (they re-read and one of them
      // retries), instead of letting them sleep out the lock's lifetime.
      await opts.redis.publish(keys.channel, 'failed').catch(() => undefined);
      throw err;
    }
  }

  async function releaseLock(): Promise<void> {
    await opts.redis.eval(RELEASE_LOCK_LUA, 1, keys.lock, owner).catch(() => undefined);
  }

  async function obtain(signal?: AbortSignal): Promise<string> {
    const deadline = Date.now() + lockTtlMs * 3;
    while (Date.now() < deadline) {
      signal?.throwIfAborted();
      const shared = await readShared();
      if (fresh(shared)) return (local = shared)!.token;
      const locked = await opts.redis.set(keys.lock, owner, 'PX', lockTtlMs, 'NX');
      if (locked === 'OK') {
        // Double-checked: another process may have stored a token and released the lock
        // between our read and our lock; refreshing again would fetch a second token.
        const stored = await readShared();
        if (fresh(stored)) {
          await releaseLock();
          return (local = stored)!.token;
        }
        return (local = await refreshHoldingLock(signal)).token;
      }
      // Someone else is refreshing: a token that is merely inside the margin still works.
      if (usable(shared)) return (local = shared)!.token;
      await ensureSubscribed();
      const refreshed = waitForRefresh(signal);
      // Re-check after subscribing: the publish may have happened in between.
      const again = await readShared();
      if (usable(again)) {
        refreshed.cancel();
        return (local = again)!.token;
      }
      await refreshed.done;
    }
    throw new TransientError(`no CXone token for account ${opts.accountId} within ${lockTtlMs * 3} ms`, {
      code: ErrorCode.TokenUnavailable,
    });
  }

  return {
    async getToken() {
      if (fresh(local)) return local!.token;
      if (!inflight) {
        // Shared by every caller of this process, so no one caller's abort cancels it.
        inflight = obtain().finally(() => {
          inflight = undefined;
        });
      }
      return inflight;
    },
    async invalidate(staleToken) {
      if (local?.token === staleToken) local = undefined;
      await opts.redis.eval(INVALIDATE_LUA, 1, keys.token, staleToken);
    },
    close() {
      for (const wake of [...waiters]) wake();
      if (subscriber) {
        subscriber.disconnect();
        subscriber = undefined;
      }
      return Promise.resolve();
    },
  };
}
