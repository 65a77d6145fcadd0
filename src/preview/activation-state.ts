// The record of one preview activation in Redis: what the CLI, the API and `--wait` read
// (no CXone call from producers), and the contact checkpoint the job resumes from. A contact
// page is written in one MULTI with its checkpoint, so after a crash either the page and its
// counts are in, or neither is and the page is fetched again.
import type { RedisConnection } from '../redis.ts';
import type { CheckedSpec } from '../domain/preview/spec.ts';
import { OUTCOMES, type Outcome, type Verdict } from '../domain/preview/eligibility.ts';
import { previewKeys } from './keys.ts';

const RETENTION_S = 30 * 24 * 3600;
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
  reason: Exclude<Outcome, 'eligible'>;
  nextCallableAt?: number;
}

const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));

export function createActivationState(deps: { redis: RedisConnection; prefix: string }) {
  const keys = previewKeys(deps.prefix);
  const { redis } = deps;

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

    /** One contact page's verdicts, counts and the checkpoint of the next page, atomically; returns the page's counts. */
    async saveContactPage(activationId: string, verdicts: readonly Verdict[], next: string): Promise<Map<Outcome, number>> {
      const a = keys.activation(activationId);
      const m = redis.multi();
      const eligible = verdicts.filter((v) => v.outcome === 'eligible').map((v) => v.id);
      if (eligible.length > 0) m.sadd(keys.eligible(activationId), ...eligible);
      const excluded = verdicts.filter((v) => v.outcome !== 'eligible');
      if (excluded.length > 0) {
        m.hset(keys.excluded(activationId), ...excluded.flatMap((v) => [v.id, v.nextCallableAt === undefined ? v.outcome : `${v.outcome}|${v.nextCallableAt}`]));
      }
      const counts = new Map<Outcome, number>();
      for (const v of verdicts) counts.set(v.outcome, (counts.get(v.outcome) ?? 0) + 1);
      for (const [o, n] of counts) m.hincrby(a, `c:${o}`, n);
      m.hincrby(a, 'c:fetched', verdicts.length);
      m.hincrby(a, 'contactPages', 1);
      m.hset(a, 'contactsNext', next);
      m.expire(keys.eligible(activationId), RETENTION_S);
      m.expire(keys.excluded(activationId), RETENTION_S);
      await m.exec();
      return counts;
    },

    async eligible(activationId: string, offset = 0, count = 1000): Promise<string[]> {
      return (await redis.smembers(keys.eligible(activationId))).sort(byContactId).slice(offset, offset + count);
    },

    async excluded(activationId: string, opts: { reason?: string; offset?: number; count?: number } = {}): Promise<ExcludedContact[]> {
      const h = await redis.hgetall(keys.excluded(activationId));
      const all = Object.entries(h)
        .map(([id, v]) => {
          const [reason, at] = v.split('|');
          return { id, reason: reason as ExcludedContact['reason'], ...(at ? { nextCallableAt: Number(at) } : {}) };
        })
        .filter((x) => !opts.reason || x.reason === opts.reason)
        .sort((x, y) => byContactId(x.id, y.id));
      return all.slice(opts.offset ?? 0, (opts.offset ?? 0) + (opts.count ?? 1000));
    },

    /** Records CXone's activation event once; the record's own version and time say how late it came. */
    async confirm(activationId: string, at: number, version: number): Promise<boolean> {
      const first = await redis.hsetnx(keys.activation(activationId), 'confirmedAt', at);
      if (first === 1) await redis.hset(keys.activation(activationId), 'confirmedVersion', version);
      return first === 1;
    },

    async dropScratch(activationId: string): Promise<void> {
      await redis.del(keys.suppressed(activationId));
    },
  };
}

export type ActivationState = ReturnType<typeof createActivationState>;

/** "c-10" after "c-9": ids compared by their numeric runs. */
function byContactId(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
