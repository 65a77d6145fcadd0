// The fleet's own do-not-call list: E.164 numbers in one Redis set per account (what the
// scrub asks with SMISMEMBER), with reason, source and time in a hash. One write and every
// worker sees it on its next page: fleet-wide at once, no cache to expire.
import { ValidationError } from '../errors.ts';
import { normalizePhone } from '../domain/sms/phone.ts';
import type { RedisConnection } from '../redis.ts';
import { previewKeys } from './keys.ts';

export interface DncEntry {
  number: string;
  reason: string;
  source: string;
  addedAt: number;
}

export interface DncInput {
  number: string;
  reason?: string | undefined;
}

export interface DncAddResult {
  added: number;
  already: number;
  invalid: { index: number; input: string; reason: string }[];
}

const BATCH = 1000;

export function createDncStore(deps: { redis: RedisConnection; prefix: string; accountId: string; defaultRegion?: string; now?: () => number }) {
  const keys = previewKeys(deps.prefix);
  const set = keys.dnc(deps.accountId);
  const info = keys.dncInfo(deps.accountId);
  const now = deps.now ?? Date.now;
  const e164 = (input: string) => normalizePhone(input, deps.defaultRegion ?? 'US');

  return {
    key: set,

    /** Adds numbers (any format; stored as E.164). Bad numbers are reported, not stored. */
    async add(entries: readonly DncInput[], source: string, defaultReason = 'customer request'): Promise<DncAddResult> {
      const result: DncAddResult = { added: 0, already: 0, invalid: [] };
      for (let from = 0; from < entries.length; from += BATCH) {
        const batch: DncEntry[] = [];
        entries.slice(from, from + BATCH).forEach((e, j) => {
          const n = e164(e.number);
          if (!n.ok) result.invalid.push({ index: from + j, input: e.number, reason: n.reason });
          else batch.push({ number: n.e164, reason: e.reason ?? defaultReason, source, addedAt: now() });
        });
        if (batch.length === 0) continue;
        const p = deps.redis.multi();
        for (const b of batch) p.sadd(set, b.number);
        p.hset(info, ...batch.flatMap((b) => [b.number, JSON.stringify({ reason: b.reason, source: b.source, addedAt: b.addedAt })]));
        const res = (await p.exec()) ?? [];
        const fresh = res.slice(0, batch.length).filter(([, v]) => v === 1).length;
        result.added += fresh;
        result.already += batch.length - fresh;
      }
      return result;
    },

    async remove(numbers: readonly string[]): Promise<{ removed: number }> {
      const valid = numbers.map((n) => {
        const r = e164(n);
        if (!r.ok) throw new ValidationError('number', [{ path: n, message: r.reason }]);
        return r.e164;
      });
      if (valid.length === 0) return { removed: 0 };
      const [[, removed]] = ((await deps.redis.multi().srem(set, ...valid).hdel(info, ...valid).exec()) ?? [[null, 0]]) as [[unknown, number]];
      return { removed };
    },

    async has(number: string): Promise<boolean> {
      const r = e164(number);
      return r.ok && (await deps.redis.sismember(set, r.e164)) === 1;
    },

    async count(): Promise<number> {
      return deps.redis.scard(set);
    },

    /** Entries in number order, `count` from `offset`. */
    async list(offset = 0, count = 100): Promise<DncEntry[]> {
      const all = (await deps.redis.smembers(set)).sort().slice(offset, offset + count);
      if (all.length === 0) return [];
      const meta = await deps.redis.hmget(info, ...all);
      return all.map((number, i) => {
        const m = JSON.parse(meta[i] ?? '{}') as Partial<DncEntry>;
        return { number, reason: m.reason ?? '', source: m.source ?? '', addedAt: m.addedAt ?? 0 };
      });
    },
  };
}

export type DncStore = ReturnType<typeof createDncStore>;

/** Import lines: `number[,reason]`; blank lines and `#` comments skipped; a header row too. */
export function parseDncLines(text: string): DncInput[] {
  const out: DncInput[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || /^(number|phone)\b/i.test(line)) continue;
    const comma = line.indexOf(',');
    out.push(comma < 0 ? { number: line } : { number: line.slice(0, comma).trim(), reason: line.slice(comma + 1).trim() || undefined });
  }
  return out;
}
