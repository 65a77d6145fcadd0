// Idempotency-Key for POST: the first answer (status + body) is kept in Redis for 24 h and
// replayed for the same key; the same key with another request (path or body) is a 422.
// A reservation marks the key while the first request runs, so a concurrent retry waits
// (409) instead of doing the work twice; a 5xx or a crash releases it for a retry.
import { createHash } from 'node:crypto';
import type { RedisConnection } from '../../redis.ts';
import { fleetKey } from '../../redis.ts';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const IDEMPOTENCY_TTL_S = 24 * 3600;
/** Long enough for any handler; short enough that a crashed request does not block its key for a day. */
const RESERVATION_TTL_S = 60;
const SANE_KEY = /^[\x21-\x7e]{1,255}$/;

export function isSaneIdempotencyKey(key: string): boolean {
  return SANE_KEY.test(key);
}

export interface StoredAnswer {
  status: number;
  body: unknown;
}

type Entry = { fp: string; state: 'pending' } | { fp: string; state: 'done'; answer: StoredAnswer };

export type Begin =
  | { kind: 'new' }
  | { kind: 'replay'; answer: StoredAnswer }
  | { kind: 'conflict' }
  | { kind: 'in-progress' };

export interface IdempotencyStore {
  begin(key: string, fingerprint: string): Promise<Begin>;
  complete(key: string, fingerprint: string, answer: StoredAnswer): Promise<void>;
  release(key: string): Promise<void>;
}

export function fingerprintOf(method: string, path: string, canonicalBody: string): string {
  return createHash('sha256').update(`${method} ${path}\n${canonicalBody}`).digest('hex');
}

export function createIdempotencyStore(deps: { redis: RedisConnection; prefix: string; ttlS?: number }): IdempotencyStore {
  const ttl = deps.ttlS ?? IDEMPOTENCY_TTL_S;
  // Hashed so any printable key is a safe Redis key of fixed length.
  const keyOf = (key: string) => fleetKey(deps.prefix, 'idem', createHash('sha256').update(key).digest('hex'));
  return {
    async begin(key, fp) {
      const k = keyOf(key);
      for (let attempt = 0; attempt < 2; attempt++) {
        const pending: Entry = { fp, state: 'pending' };
        const set = await deps.redis.set(k, JSON.stringify(pending), 'EX', RESERVATION_TTL_S, 'NX');
        if (set === 'OK') return { kind: 'new' };
        const raw = await deps.redis.get(k);
        if (raw === null) continue; // released between the two commands: try to reserve again
        const entry = JSON.parse(raw) as Entry;
        if (entry.fp !== fp) return { kind: 'conflict' };
        return entry.state === 'done' ? { kind: 'replay', answer: entry.answer } : { kind: 'in-progress' };
      }
      return { kind: 'in-progress' };
    },
    async complete(key, fp, answer) {
      const entry: Entry = { fp, state: 'done', answer };
      await deps.redis.set(keyOf(key), JSON.stringify(entry), 'EX', ttl);
    },
    async release(key) {
      await deps.redis.del(keyOf(key));
    },
  };
}
