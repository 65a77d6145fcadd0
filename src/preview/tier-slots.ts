// The fleet-wide tier semaphore (B7). CXone does not enforce the concurrent-preview limit
// (PPS 87), and counting active campaigns then activating lets two activations at 2/3 both
// pass. So admission is one Lua script over a sorted set of campaign ids (score = lease
// expiry) held by activations in flight or just activated: the count is |CXone's active
// previews ∪ held slots|, and the slot is taken only when that is below the limit. A slot
// of an activated campaign is kept for a settle lease, so a list read before our PUT still
// counts it; the union keeps it from being counted twice once CXone lists it.
import { defineScript } from '../redis-script.ts';
import type { RedisConnection } from '../redis.ts';
import { previewKeys } from './keys.ts';

// KEYS[1] slots; ARGV: now, lease until, max, campaign id, CXone's active ids...
// Returns {admitted 0|1, count without us}.
const acquireScript = defineScript<[number, number]>(
  'previewTierAcquire',
  1,
  `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local me = ARGV[4]
local active = {}
local count = 0
for i = 5, #ARGV do
  if not active[ARGV[i]] then active[ARGV[i]] = true; count = count + 1 end
end
local held = redis.call('ZRANGE', KEYS[1], 0, -1)
local mine = false
for _, id in ipairs(held) do
  if id == me then mine = true elseif not active[id] then count = count + 1 end
end
if mine or active[me] or count < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[2], me)
  return {1, count}
end
return {0, count}
`,
);

export interface TierSlots {
  /** Admits the campaign if active previews plus held slots leave room; `count` excludes it. */
  acquire(campaignId: string, activeIds: readonly string[], max: number, leaseMs: number): Promise<{ admitted: boolean; count: number }>;
  /** After a successful activation: keep the slot for `settleMs` (until CXone's list shows it). */
  settle(campaignId: string, settleMs: number): Promise<void>;
  release(campaignId: string): Promise<void>;
  held(): Promise<string[]>;
}

export function createTierSlots(deps: { redis: RedisConnection; prefix: string; accountId: string; now?: () => number }): TierSlots {
  const key = previewKeys(deps.prefix).slots(deps.accountId);
  const now = deps.now ?? Date.now;
  return {
    async acquire(campaignId, activeIds, max, leaseMs) {
      const t = now();
      const [admitted, count] = await acquireScript.run(deps.redis, [key], [t, t + leaseMs, max, campaignId, ...activeIds]);
      return { admitted: admitted === 1, count };
    },
    async settle(campaignId, settleMs) {
      await deps.redis.zadd(key, 'XX', now() + settleMs, campaignId);
    },
    async release(campaignId) {
      await deps.redis.zrem(key, campaignId);
    },
    async held() {
      return deps.redis.zrangebyscore(key, now(), '+inf');
    },
  };
}
