// Every refused webhook is kept for admins: a capped Redis list of recent rejections plus a
// counter per reason. Only a bounded, masked excerpt of the body is stored, never headers,
// so a signature or secret cannot leak through this view.
import type { RedisConnection } from '../redis.ts';
import { fleetKey } from '../redis.ts';
import { maskPhonesInText } from '../mask.ts';

export const REJECTION_REASONS = [
  'payload_too_large',
  'unsupported_encoding',
  'missing_signature',
  'malformed_signature',
  'stale_timestamp',
  'bad_signature',
  'unsupported_media_type',
  'invalid_json',
  'invalid_payload',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

export interface Rejection {
  at: string;
  route: string;
  reason: RejectionReason;
  status: number;
  requestId: string;
  bytes: number;
  excerpt: string;
  /** Field paths for invalid payloads: what a CXone change broke. */
  issues?: { path: string; message: string }[];
}

export const EXCERPT_BYTES = 512;

export interface RejectionStore {
  record(entry: Omit<Rejection, 'at' | 'excerpt'> & { body?: Buffer }, nowMs?: number): Promise<void>;
  list(opts?: { limit?: number; reason?: RejectionReason; since?: number }): Promise<Rejection[]>;
  counts(): Promise<Record<string, number>>;
}

export function excerptOf(body: Buffer | undefined): string {
  if (!body || body.length === 0) return '';
  // A cut in the middle of a UTF-8 sequence decodes to U+FFFD: harmless in a display excerpt.
  return maskPhonesInText(body.subarray(0, EXCERPT_BYTES).toString('utf8'));
}

export function createRejectionStore(deps: { redis: RedisConnection; prefix: string; max?: number }): RejectionStore {
  const listKey = fleetKey(deps.prefix, 'ingress', 'rejections');
  const countsKey = fleetKey(deps.prefix, 'ingress', 'rejections', 'counts');
  const max = deps.max ?? 1_000;
  return {
    async record(entry, nowMs = Date.now()) {
      const { body, ...rest } = entry;
      const item: Rejection = { at: new Date(nowMs).toISOString(), ...rest, excerpt: excerptOf(body) };
      await deps.redis
        .multi()
        .lpush(listKey, JSON.stringify(item))
        .ltrim(listKey, 0, max - 1)
        .hincrby(countsKey, entry.reason, 1)
        .exec();
    },
    async list(opts = {}) {
      const limit = Math.min(Math.max(opts.limit ?? 100, 1), max);
      const raw = await deps.redis.lrange(listKey, 0, max - 1);
      const out: Rejection[] = [];
      for (const r of raw) {
        const item = JSON.parse(r) as Rejection;
        if (opts.reason && item.reason !== opts.reason) continue;
        if (opts.since !== undefined && Date.parse(item.at) < opts.since) break; // newest first
        out.push(item);
        if (out.length >= limit) break;
      }
      return out;
    },
    async counts() {
      const raw = await deps.redis.hgetall(countsKey);
      return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Number(v)]));
    },
  };
}
