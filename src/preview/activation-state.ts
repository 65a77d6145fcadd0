// The record of one preview activation in Redis: what the CLI, the API and `--wait` read
// (no CXone call from producers), and the contact checkpoint the job resumes from. A contact
// page is written in one MULTI with its checkpoint, so after a crash either the page and its
// counts are in, or neither is and the page is fetched again.
import type { RedisConnection } from '../redis.ts';
import { defineScript } from '../redis-script.ts';
import type { CheckedSpec } from '../domain/preview/spec.ts';
import { OUTCOMES, type ExclusionReason, type Outcome, type Verdict } from '../domain/preview/eligibility.ts';
import { previewKeys } from './keys.ts';

const RETENTION_S = 30 * 24 * 3600;

// The time and the version in one step: a reader that sees confirmedAt also sees the version
// it confirmed, and a redelivered event changes neither.
const CONFIRM_ONCE = defineScript<number>(
  'previewConfirmOnce',
  1,
  `if redis.call('HSETNX', KEYS[1], 'confirmedAt', ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'confirmedVersion', ARGV[2])
return 1`,
);
const SUPPRESSED_TTL_S = 3600;

export type ActivationStatus = 'queued' | 'running' | 'active' | 'failed';

export interface ActivationRecord {
  activationId: string;
  campaignId: string;
  specKey: string;
  status: ActivationStatus;
  step: string;
  createdAt: number;
  /** Next contact page's query; '' when all pages are done; absent before the first. */
  contactsNext?: string;
  suppressionsNext?: string;
  contactPages: number;
  suppressionPages: number;
  suppressionsLoaded: number;
  counts: Record<Outcome, number> & { fetched: number };
  activeBefore?: number;
  version?: number;
  cxoneStatus?: string;
  activatedAt?: number;
  latencyMs?: number;
  preconditionRetries: number;
  webhookId?: string;
  confirmedAt?: number;
  confirmedVersion?: number;
  errorCode?: string;
  error?: string;
}

export interface ExcludedContact {
  id: string;
  reason: ExclusionReason;
  nextCallableAt?: number;
}

const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));

/**
 * A contact page's verdicts as stored: a JSON array in list order, an eligible contact as its
 * id, an excluded one as [id, reason] or [id, 'deferred', nextCallableAt]. One hash field a
 * page instead of a set member or hash field a contact: about 21 bytes a contact against 55
 * (the per-entry overhead of Redis's hashtable encoding dominates ids this short); see
 * docs/adr/0003-preview-activation.md.
 */
type PageEntry = string | [id: string, reason: ExclusionReason, nextCallableAt?: number];

export function encodePage(verdicts: readonly Verdict[]): string {
  return JSON.stringify(
    verdicts.map((v): PageEntry => (v.outcome === 'eligible' ? v.id : v.nextCallableAt === undefined ? [v.id, v.outcome] : [v.id, v.outcome, v.nextCallableAt])),
  );
}

/** Pages read this many at a time (one HMGET) when listing. */
const PAGES_PER_READ = 50;

/** The entries `pick` keeps, from the `offset`-th kept one, at most `count`; stops reading when it has them. */
async function collect<T>(entries: AsyncIterable<PageEntry>, offset: number, count: number, pick: (e: PageEntry) => T | undefined): Promise<T[]> {
  const out: T[] = [];
  let skip = offset;
  if (count <= 0) return out;
  for await (const e of entries) {
    const x = pick(e);
    if (x === undefined) continue;
    if (skip > 0) skip--;
    else if (out.push(x) >= count) break;
  }
  return out;
}

export function createActivationState(deps: { redis: RedisConnection; prefix: string }) {
  const keys = previewKeys(deps.prefix);
  const { redis } = deps;

  /** Every stored verdict of a run, page by page in list order. */
  async function* pages(activationId: string): AsyncGenerator<PageEntry> {
    const total = Number((await redis.hget(keys.activation(activationId), 'contactPages')) ?? 0);
    for (let from = 1; from <= total; from += PAGES_PER_READ) {
      const fields = Array.from({ length: Math.min(PAGES_PER_READ, total - from + 1) }, (_, i) => String(from + i));
      for (const raw of await redis.hmget(keys.pages(activationId), ...fields)) {
        if (raw) yield* JSON.parse(raw) as PageEntry[];
      }
    }
  }

  function parse(id: string, h: Record<string, string>): ActivationRecord | undefined {
    if (!h.campaignId) return undefined;
    const counts = Object.fromEntries([...OUTCOMES, 'fetched'].map((o) => [o, Number(h[`c:${o}`] ?? 0)])) as ActivationRecord['counts'];
    const r: ActivationRecord = {
      activationId: id,
      campaignId: h.campaignId,
      specKey: h.specKey ?? '',
      status: (h.status ?? 'queued') as ActivationStatus,
      step: h.step ?? 'queued',
      createdAt: Number(h.createdAt ?? 0),
      contactPages: Number(h.contactPages ?? 0),
      suppressionPages: Number(h.suppressionPages ?? 0),
      suppressionsLoaded: Number(h.suppressionsLoaded ?? 0),
      counts,
      preconditionRetries: Number(h.preconditionRetries ?? 0),
    };
    const opt: Partial<ActivationRecord> = {
      contactsNext: h.contactsNext,
      suppressionsNext: h.suppressionsNext,
      activeBefore: num(h.activeBefore),
      version: num(h.version),
      cxoneStatus: h.cxoneStatus,
      activatedAt: num(h.activatedAt),
      latencyMs: num(h.latencyMs),
      webhookId: h.webhookId,
      confirmedAt: num(h.confirmedAt),
      confirmedVersion: num(h.confirmedVersion),
      errorCode: h.errorCode,
      error: h.error,
    };
    for (const [k, v] of Object.entries(opt)) if (v !== undefined) (r as unknown as Record<string, unknown>)[k] = v;
    return r;
  }

  return {
    async putSpec(checked: CheckedSpec): Promise<void> {
      await redis.set(keys.spec(checked.specKey), JSON.stringify(checked), 'EX', RETENTION_S);
    },

    async getSpec(specKey: string): Promise<CheckedSpec | undefined> {
      const raw = await redis.get(keys.spec(specKey));
      return raw ? (JSON.parse(raw) as CheckedSpec) : undefined;
    },

    async create(activationId: string, campaignId: string, specKey: string, at: number): Promise<void> {
      await redis
        .multi()
        .hset(keys.activation(activationId), { campaignId, specKey, status: 'queued', step: 'queued', createdAt: at })
        .expire(keys.activation(activationId), RETENTION_S)
        .zadd(keys.activations(), at, activationId)
        .hset(keys.byCampaign(), campaignId, activationId)
        .exec();
    },

    async get(activationId: string): Promise<ActivationRecord | undefined> {
      return parse(activationId, await redis.hgetall(keys.activation(activationId)));
    },

    /** The latest activation of a campaign. */
    async byCampaign(campaignId: string): Promise<string | undefined> {
      return (await redis.hget(keys.byCampaign(), campaignId)) ?? undefined;
    },

    async recent(count = 20): Promise<string[]> {
      return redis.zrevrange(keys.activations(), 0, count - 1);
    },

    async set(activationId: string, fields: Record<string, string | number>): Promise<void> {
      await redis.hset(keys.activation(activationId), fields);
    },

    async incr(activationId: string, field: string): Promise<number> {
      return redis.hincrby(keys.activation(activationId), field, 1);
    },

    /** One suppression page as E.164, with the checkpoint of the next ('' = done). */
    async saveSuppressionPage(activationId: string, e164s: readonly string[], next: string): Promise<void> {
      const m = redis.multi();
      if (e164s.length > 0) m.sadd(keys.suppressed(activationId), ...e164s);
      m.expire(keys.suppressed(activationId), SUPPRESSED_TTL_S);
      m.hincrby(keys.activation(activationId), 'suppressionPages', 1);
      m.hincrby(keys.activation(activationId), 'suppressionsLoaded', e164s.length);
      m.hset(keys.activation(activationId), 'suppressionsNext', next);
      await m.exec();
    },

    /** Which numbers are on the run's suppressions, and which on the DNC set. */
    async lookup(activationId: string, dncKey: string, e164s: readonly string[]): Promise<{ suppressed: Set<string>; dnc: Set<string> }> {
      if (e164s.length === 0) return { suppressed: new Set(), dnc: new Set() };
      const [[, s], [, d]] = (await redis.multi().smismember(keys.suppressed(activationId), ...e164s).smismember(dncKey, ...e164s).exec()) as [[unknown, number[]], [unknown, number[]]];
      return { suppressed: new Set(e164s.filter((_, i) => s[i] === 1)), dnc: new Set(e164s.filter((_, i) => d[i] === 1)) };
    },

    /**
     * One contact page's verdicts, counts and the checkpoint of the next page, atomically;
     * returns the page's counts. The verdicts are one field of the run's page hash (see
     * `encodePage`): a re-run of the page after a crash overwrites it with the same value.
     */
    async saveContactPage(activationId: string, pageNo: number, verdicts: readonly Verdict[], next: string): Promise<Map<Outcome, number>> {
      const a = keys.activation(activationId);
      const m = redis.multi();
      m.hset(keys.pages(activationId), String(pageNo), encodePage(verdicts));
      const counts = new Map<Outcome, number>();
      for (const v of verdicts) counts.set(v.outcome, (counts.get(v.outcome) ?? 0) + 1);
      for (const [o, n] of counts) m.hincrby(a, `c:${o}`, n);
      m.hincrby(a, 'c:fetched', verdicts.length);
      m.hset(a, 'contactPages', pageNo);
      m.hset(a, 'contactsNext', next);
      m.expire(keys.pages(activationId), RETENTION_S);
      await m.exec();
      return counts;
    },

    /** Eligible contact ids in list order. */
    async eligible(activationId: string, offset = 0, count = 1000): Promise<string[]> {
      return collect(pages(activationId), offset, count, (entry) => (typeof entry === 'string' ? entry : undefined));
    },

    /** Excluded contacts in list order, with their reason (and when deferred, the next callable time). */
    async excluded(activationId: string, opts: { reason?: string; offset?: number; count?: number } = {}): Promise<ExcludedContact[]> {
      return collect(pages(activationId), opts.offset ?? 0, opts.count ?? 1000, (entry) => {
        if (typeof entry === 'string' || (opts.reason && entry[1] !== opts.reason)) return undefined;
        const [id, reason, at] = entry;
        return at === undefined ? { id, reason } : { id, reason, nextCallableAt: at };
      });
    },

    /** Records CXone's activation event once; the record's own version and time say how late it came. */
    async confirm(activationId: string, at: number, version: number): Promise<boolean> {
      return (await CONFIRM_ONCE.run(redis, [keys.activation(activationId)], [at, version])) === 1;
    },

    async dropScratch(activationId: string): Promise<void> {
      await redis.del(keys.suppressed(activationId));
    },
  };
}

export type ActivationState = ReturnType<typeof createActivationState>;
