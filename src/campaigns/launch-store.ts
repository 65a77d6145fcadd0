// A launch's record in Redis (campaign:launch:{launchId}), written by the step job and the
// event worker and read by the API and CLI. A launch settles once: the first of the status
// poll and the status event to claim `settledBy` records the outcome, the other is stale.
import type { RedisConnection } from '../redis.ts';
import { defineScript } from '../redis-script.ts';
import type { LaunchSpec } from '../domain/campaigns/launch.ts';
import { campaignKeys } from './keys.ts';

export const LAUNCH_STATUSES = ['pending', 'checking', 'creating', 'starting', 'polling', 'running', 'failed'] as const;
export type LaunchStatus = (typeof LAUNCH_STATUSES)[number];

export interface LaunchRecord {
  launchId: string;
  name: string;
  spec: LaunchSpec;
  status: LaunchStatus;
  campaignId: string | undefined;
  /** CXone's last status seen (QUEUED, INITIALIZING, RUNNING, ERROR, STOPPED). */
  cxoneStatus: string | undefined;
  polls: number;
  rateLimited: number;
  errorCode: string | undefined;
  error: string | undefined;
  lastError: { errorCode?: unknown; errorMessage?: unknown } | undefined;
  settledBy: 'poll' | 'event' | 'job' | undefined;
  createdAt: number;
  startRequestedAt: number | undefined;
  runningAt: number | undefined;
  /** When its pacing checks started (set once, by the first start). */
  pacingStartedAt: number | undefined;
  updatedAt: number;
}

const RETENTION_S = 90 * 24 * 3600;
const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));

// Claims a field of the record (HSETNX) and writes the fields that go with the claim in the
// same step: a process that dies after claiming leaves no claimed record without them.
// KEYS[1] the record; ARGV[1] field, [2] claimant, [3] retention s, then field/value pairs.
// Returns 1 when claimed, 0 when the field was taken.
const CLAIM_LUA = `if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1`;
const claimScript = defineScript<number>('cxfLaunchClaim', 1, CLAIM_LUA);

// A step of a launch on its way (checking, creating, starting, polling), unless it is
// settled already: a status event may settle it while the job is between two steps.
// KEYS[1] the record; ARGV[1] retention s, then field/value pairs. Returns 1 when written.
const PROGRESS_LUA = `if redis.call('HEXISTS', KEYS[1], 'settledBy') == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1`;
const progressScript = defineScript<number>('cxfLaunchProgress', 1, PROGRESS_LUA);

export function createLaunchStore(deps: { redis: RedisConnection; prefix: string }) {
  const { redis } = deps;
  const keys = campaignKeys(deps.prefix);

  async function claim(launchId: string, field: string, claimant: string, fields: Record<string, string | number>): Promise<boolean> {
    const pairs = Object.entries({ ...fields, updatedAt: Date.now() }).flat();
    return (await claimScript.run(redis, [keys.launch(launchId)], [field, claimant, RETENTION_S, ...pairs])) === 1;
  }

  return {
    /** Records a new launch; false when the id is taken (a replayed request). */
    async create(launchId: string, spec: LaunchSpec): Promise<boolean> {
      return claim(launchId, 'launchId', launchId, { name: spec.name, spec: JSON.stringify(spec), status: 'pending', polls: 0, rateLimited: 0, createdAt: Date.now() });
    },

    async get(launchId: string): Promise<LaunchRecord | undefined> {
      const h = await redis.hgetall(keys.launch(launchId));
      if (!h.launchId || !h.spec) return undefined;
      return {
        launchId: h.launchId,
        name: h.name ?? '',
        spec: JSON.parse(h.spec) as LaunchSpec,
        status: (h.status ?? 'pending') as LaunchStatus,
        campaignId: h.campaignId || undefined,
        cxoneStatus: h.cxoneStatus || undefined,
        polls: num(h.polls) ?? 0,
        rateLimited: num(h.rateLimited) ?? 0,
        errorCode: h.errorCode || undefined,
        error: h.error || undefined,
        lastError: h.lastError ? (JSON.parse(h.lastError) as LaunchRecord['lastError']) : undefined,
        settledBy: (h.settledBy || undefined) as LaunchRecord['settledBy'],
        createdAt: num(h.createdAt) ?? 0,
        startRequestedAt: num(h.startRequestedAt),
        runningAt: num(h.runningAt),
        pacingStartedAt: num(h.pacingStartedAt),
        updatedAt: num(h.updatedAt) ?? 0,
      };
    },

    async byCampaignId(campaignId: string): Promise<string | undefined> {
      return (await redis.hget(keys.byCampaignId(), campaignId)) ?? undefined;
    },

    /** A step on the way to an outcome; a settled launch keeps its outcome. */
    async setStatus(launchId: string, status: Exclude<LaunchStatus, 'running' | 'failed'>, extra: Record<string, string | number> = {}): Promise<void> {
      const pairs = Object.entries({ status, ...extra, updatedAt: Date.now() }).flat();
      await progressScript.run(redis, [keys.launch(launchId)], [RETENTION_S, ...pairs]);
    },

    /** The campaign's id on the launch and in the index events are matched by, in one step. */
    async setCampaign(launchId: string, campaignId: string): Promise<void> {
      const key = keys.launch(launchId);
      await redis.multi().hset(key, { campaignId, updatedAt: Date.now() }).expire(key, RETENTION_S).hset(keys.byCampaignId(), campaignId, launchId).exec();
    },

    async recordPoll(launchId: string, cxoneStatus: string): Promise<void> {
      const key = keys.launch(launchId);
      await redis.multi().hincrby(key, 'polls', 1).hset(key, { cxoneStatus, updatedAt: Date.now() }).exec();
    },

    /** The next number of the account's launch counter (its poll phase comes from it). */
    nextPollSlot: (): Promise<number> => redis.incr(keys.pollSlots()),

    async recordRateLimited(launchId: string): Promise<void> {
      await redis.hincrby(keys.launch(launchId), 'rateLimited', 1);
    },

    /** Claims the launch's outcome for `by`; false when it was settled already. */
    async settle(launchId: string, by: 'poll' | 'event', fields: Record<string, string | number>): Promise<boolean> {
      return claim(launchId, 'settledBy', by, fields);
    },

    /** A launch that failed before CXone gave an outcome (bad contact list, refused create, deadline). */
    async fail(launchId: string, errorCode: string, error: string): Promise<void> {
      await claim(launchId, 'settledBy', 'job', { status: 'failed', errorCode, error });
    },
  };
}

export type LaunchStore = ReturnType<typeof createLaunchStore>;
