// Pacing state per campaign in Redis: policy and rate in force (campaign:pacing:{id}), the
// decisions with their inputs (a capped list: the records a regulator asks for), cumulative
// samples for the rolling abandonment windows (a zset trimmed past 31 days) and the last
// statistics (the summary the API answers from).
import type { PacingDecision, PacingPolicy, AbandonSample, PacingInputs } from '../domain/campaigns/pacing.ts';
import type { CampaignStatistics } from '../cxone/campaigns.ts';
import type { RedisConnection } from '../redis.ts';
import { defineScript } from '../redis-script.ts';
import { campaignKeys } from './keys.ts';

export const MAX_DECISIONS = 500;
const SAMPLE_RETENTION_MS = 31 * 86_400_000;
const AFTER_END_S = 30 * 24 * 3600;

// Starts a launch's pacing once. KEYS[1] the pacing hash, [2] the running set, [3] the
// launch's record; ARGV[1] launch id, [2] policy, [3] cpm, [4] now, [5] campaign id. A
// record of the same launch is kept as it is (a re-run after a crash, or the other of poll
// and event, must not reset a rate a check has changed since); one of an earlier launch of
// the campaign is replaced. The launch's record keeps when its pacing started, so pacing
// that ended and whose record has since expired (30 days) is not started again by a late
// event. Returns 'started', or the 'active'/'stopped' it already had.
const START_LUA = `local h = redis.call('HMGET', KEYS[1], 'launchId', 'status')
if h[1] == ARGV[1] then return h[2] end
if redis.call('HEXISTS', KEYS[3], 'pacingStartedAt') == 1 then return 'stopped' end
redis.call('HSET', KEYS[1], 'campaignId', ARGV[5], 'launchId', ARGV[1], 'policy', ARGV[2], 'cpm', ARGV[3], 'status', 'active', 'startedAt', ARGV[4], 'cpmSince', ARGV[4])
redis.call('HSETNX', KEYS[1], 'seq', 0)
redis.call('PERSIST', KEYS[1])
redis.call('SADD', KEYS[2], ARGV[5])
redis.call('HSET', KEYS[3], 'pacingStartedAt', ARGV[4])
return 'started'`;
const startScript = defineScript<'started' | 'active' | 'stopped'>('cxfPacingStart', 3, START_LUA);

// A rate about to be sent to CXone: the next sequence number (the PATCH's idempotency key)
// and the rate, noted together before the call. KEYS[1] the pacing hash; ARGV[1] the rate.
const BEGIN_CHANGE_LUA = `local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('HSET', KEYS[1], 'pendingCpm', ARGV[1], 'pendingSeq', seq)
return seq`;
const beginChangeScript = defineScript<number>('cxfPacingBeginChange', 1, BEGIN_CHANGE_LUA);

function parseSamples(members: readonly string[]): AbandonSample[] {
  return members.map((m) => {
    const [t, answered, abandoned] = m.split(':').map(Number);
    return { t: t!, answered: answered!, abandoned: abandoned! };
  });
}

export interface PacingState {
  campaignId: string;
  launchId: string | undefined;
  policy: PacingPolicy;
  cpm: number;
  status: 'active' | 'stopped';
  seq: number;
  startedAt: number;
  /** When the rate in force was set (the start, or the last PATCH). */
  cpmSince: number;
  lastCheckAt: number | undefined;
  /**
   * A rate sent to CXone whose answer was never recorded (the process died, or the answer
   * was lost): the next check or operation sends it again under the same key first.
   */
  pending: { cpm: number; seq: number } | undefined;
}

export interface DecisionRecord {
  at: number;
  seq: number;
  policy: PacingPolicy;
  from: number;
  to: number;
  kind: PacingDecision['kind'];
  reason: string;
  inputs: PacingInputs;
  patched: boolean;
  /** Set when the PATCH failed. */
  error?: string;
}

export interface StoredSummary extends CampaignStatistics {
  asOf: number;
}

export function createPacingStore(deps: { redis: RedisConnection; prefix: string }) {
  const { redis } = deps;
  const keys = campaignKeys(deps.prefix);
  return {
    /** Starts the launch's pacing; a second start of the same launch changes nothing. */
    start(campaignId: string, s: { launchId: string; policy: PacingPolicy; cpm: number }): Promise<'started' | 'active' | 'stopped'> {
      return startScript.run(redis, [keys.pacing(campaignId), keys.running(), keys.launch(s.launchId)], [s.launchId, s.policy, s.cpm, Date.now(), campaignId]);
    },

    async get(campaignId: string): Promise<PacingState | undefined> {
      const h = await redis.hgetall(keys.pacing(campaignId));
      if (!h.campaignId) return undefined;
      return {
        campaignId: h.campaignId,
        launchId: h.launchId || undefined,
        policy: (h.policy ?? 'seed+abandon-cap') as PacingPolicy,
        cpm: Number(h.cpm ?? 0),
        status: h.status === 'stopped' ? 'stopped' : 'active',
        seq: Number(h.seq ?? 0),
        startedAt: Number(h.startedAt ?? 0),
        cpmSince: Number(h.cpmSince ?? h.startedAt ?? 0),
        lastCheckAt: h.lastCheckAt ? Number(h.lastCheckAt) : undefined,
        pending: h.pendingCpm ? { cpm: Number(h.pendingCpm), seq: Number(h.pendingSeq ?? 0) } : undefined,
      };
    },

    async set(campaignId: string, fields: Partial<Pick<PacingState, 'policy' | 'cpm' | 'cpmSince' | 'lastCheckAt'>>): Promise<void> {
      const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Record<string, string | number>;
      if (Object.keys(defined).length > 0) await redis.hset(keys.pacing(campaignId), defined);
    },

    /** Notes a rate about to be sent; returns the PATCH's sequence number (its idempotency key). */
    beginChange: (campaignId: string, cpm: number): Promise<number> => beginChangeScript.run(redis, [keys.pacing(campaignId)], [cpm]),

    /** CXone took the rate: it is the one in force, and nothing is pending. */
    async applyChange(campaignId: string, cpm: number, at: number): Promise<void> {
      await redis.multi().hset(keys.pacing(campaignId), { cpm, cpmSince: at }).hdel(keys.pacing(campaignId), 'pendingCpm', 'pendingSeq').exec();
    },

    /** CXone refused the rate: nothing is pending. */
    async dropChange(campaignId: string): Promise<void> {
      await redis.hdel(keys.pacing(campaignId), 'pendingCpm', 'pendingSeq');
    },

    /** Marks pacing stopped; the records stay 30 days after the end. */
    async stop(campaignId: string): Promise<void> {
      await redis
        .multi()
        .hset(keys.pacing(campaignId), 'status', 'stopped')
        .expire(keys.pacing(campaignId), AFTER_END_S)
        .expire(keys.decisions(campaignId), AFTER_END_S)
        .expire(keys.samples(campaignId), AFTER_END_S)
        .srem(keys.running(), campaignId)
        .exec();
    },

    running: () => redis.smembers(keys.running()),

    /**
     * One check at a time per campaign: BullMQ produces the next check when the current one
     * starts, so a check slower than the interval would otherwise overlap the next.
     */
    async tryLock(campaignId: string, token: string, ms: number): Promise<boolean> {
      return (await redis.set(keys.checkLock(campaignId), token, 'PX', ms, 'NX')) === 'OK';
    },
    async unlock(campaignId: string, token: string): Promise<void> {
      if ((await redis.get(keys.checkLock(campaignId))) === token) await redis.del(keys.checkLock(campaignId));
    },

    async recordDecision(campaignId: string, d: DecisionRecord): Promise<void> {
      await redis.multi().lpush(keys.decisions(campaignId), JSON.stringify(d)).ltrim(keys.decisions(campaignId), 0, MAX_DECISIONS - 1).exec();
    },

    async decisions(campaignId: string, count = 50): Promise<DecisionRecord[]> {
      const raw = await redis.lrange(keys.decisions(campaignId), 0, count - 1);
      return raw.map((r) => JSON.parse(r) as DecisionRecord);
    },

    /** Adds a cumulative sample and returns all kept samples, oldest first. */
    async addSample(campaignId: string, s: AbandonSample): Promise<AbandonSample[]> {
      const key = keys.samples(campaignId);
      const [, , res] = (await redis
        .multi()
        .zadd(key, s.t, `${s.t}:${s.answered}:${s.abandoned}`)
        .zremrangebyscore(key, '-inf', s.t - SAMPLE_RETENTION_MS)
        .zrange(key, '0', '-1')
        .exec()) ?? [];
      const members = (res?.[1] as string[] | undefined) ?? [];
      return parseSamples(members);
    },

    async samples(campaignId: string): Promise<AbandonSample[]> {
      return parseSamples(await redis.zrange(keys.samples(campaignId), '0', '-1'));
    },

    async putSummary(campaignId: string, stats: CampaignStatistics, asOf = Date.now()): Promise<void> {
      const { totalCalls, answered, abandoned, avgTalkTime, connectRate } = stats;
      await redis.set(keys.summary(campaignId), JSON.stringify({ totalCalls, answered, abandoned, avgTalkTime, connectRate, asOf }), 'EX', 7 * 24 * 3600);
    },

    async summary(campaignId: string): Promise<StoredSummary | undefined> {
      const raw = await redis.get(keys.summary(campaignId));
      return raw ? (JSON.parse(raw) as StoredSummary) : undefined;
    },
  };
}

export type PacingStore = ReturnType<typeof createPacingStore>;
