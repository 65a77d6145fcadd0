// Suppressed addresses with an expiry: a sorted set address → expiresAt (so listing and
// expiry are range queries) plus a hash with the reason. A removed address also loses its
// bounce counts, so an admin's decision is not undone by the next old soft bounce.
import type { RedisConnection } from '../redis.ts';
import { emailKeys, normalizeAddress } from './keys.ts';

export interface SuppressionReason {
  reason: string;
  /** hard | soft | complaint | import | manual */
  class: string;
  rawType?: string | undefined;
  channelId?: string | undefined;
  suppressedAt: number;
}

export interface Suppression extends SuppressionReason {
  address: string;
  expiresAt: number;
}

export function createSuppressionStore(deps: { redis: RedisConnection; prefix: string; now?: () => number }) {
  const keys = emailKeys(deps.prefix);
  const now = deps.now ?? Date.now;
  return {
    /** True when newly suppressed (false: it already was, and its expiry is extended). */
    async suppress(address: string, why: SuppressionReason, ttlMs: number): Promise<boolean> {
      const a = normalizeAddress(address);
      const expiresAt = now() + ttlMs;
      const previous = await deps.redis.zscore(keys.suppressions(), a);
      const fresh = previous === null || Number(previous) <= now();
      // The details go first: a reader that sees the address suppressed finds why.
      if (fresh) await deps.redis.hset(keys.suppressionInfo(), a, JSON.stringify(why));
      await deps.redis.zadd(keys.suppressions(), 'GT', expiresAt, a);
      return fresh;
    },

    async isSuppressed(address: string): Promise<boolean> {
      const score = await deps.redis.zscore(keys.suppressions(), normalizeAddress(address));
      return score !== null && Number(score) > now();
    },

    async get(address: string): Promise<Suppression | undefined> {
      const a = normalizeAddress(address);
      const [score, info] = await Promise.all([deps.redis.zscore(keys.suppressions(), a), deps.redis.hget(keys.suppressionInfo(), a)]);
      if (score === null || Number(score) <= now()) return undefined;
      const why = info ? (JSON.parse(info) as SuppressionReason) : { reason: 'unknown', class: 'unknown', suppressedAt: 0 };
      return { address: a, expiresAt: Number(score), ...why };
    },

    /** Unexpired suppressions, soonest expiry first, `count` from `offset`. */
    async list(offset = 0, count = 100): Promise<{ total: number; items: Suppression[] }> {
      const t = now();
      // Expired entries are dropped on read; nothing else needs to sweep them.
      await deps.redis.zremrangebyscore(keys.suppressions(), '-inf', t);
      const total = await deps.redis.zcard(keys.suppressions());
      const rows = await deps.redis.zrangebyscore(keys.suppressions(), `(${t}`, '+inf', 'WITHSCORES', 'LIMIT', offset, count);
      const addresses: string[] = [];
      const scores: number[] = [];
      for (let i = 0; i < rows.length; i += 2) {
        addresses.push(rows[i]!);
        scores.push(Number(rows[i + 1]));
      }
      const infos = addresses.length > 0 ? await deps.redis.hmget(keys.suppressionInfo(), ...addresses) : [];
      const items = addresses.map((address, i) => {
        const info = infos[i];
        const why = info ? (JSON.parse(info) as SuppressionReason) : { reason: 'unknown', class: 'unknown', suppressedAt: 0 };
        return { address, expiresAt: scores[i]!, ...why };
      });
      return { total, items };
    },

    /** True when the address was suppressed. Also forgets its bounce counts. */
    async remove(address: string): Promise<boolean> {
      const a = normalizeAddress(address);
      const removed = await deps.redis.zrem(keys.suppressions(), a);
      await deps.redis.hdel(keys.suppressionInfo(), a);
      await deps.redis.del(keys.bounceCounts(a), keys.bounceSoft(a));
      return removed > 0;
    },
  };
}
export type SuppressionStore = ReturnType<typeof createSuppressionStore>;
