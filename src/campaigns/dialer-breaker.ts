// The dialer breaker (CL 310-379): one per campaign, in Redis, on the platform's breaker
// (src/cxone/breaker.ts: closed -> open after N failures -> half-open after the open time ->
// closed after M successes). It counts the launch outcome (RUNNING = success, STOPPED or
// ERROR = failure) and each pacing call. Half-open admits one probe at a time per campaign
// (the seed's breaker admits any number): a lease key held until the probe is recorded.
import { createBreaker, type BreakerState } from '../cxone/breaker.ts';
import { ErrorCode, RateLimitedError } from '../errors.ts';
import type { CampaignMetrics } from './metrics.ts';
import { fleetKey, type RedisConnection } from '../redis.ts';
import { campaignKeys } from './keys.ts';

export interface DialerBreakerSettings {
  failureThreshold: number;
  openMs: number;
  halfOpenSuccesses: number;
}

export interface DialerBreakerView {
  state: BreakerState;
  /** Ms until an open breaker lets a probe through (0 unless open). */
  retryAfterMs: number;
  failures: number;
}

export function createDialerBreakers(deps: { redis: RedisConnection; prefix: string; settings: DialerBreakerSettings; metrics?: CampaignMetrics | undefined }) {
  const keys = campaignKeys(deps.prefix);
  const hashKey = (campaignId: string) => fleetKey(deps.prefix, 'breaker', `dialer:${campaignId}`);
  // Every process reads the state at each use: a campaign's calls are few, and a stale
  // "closed" would let a probe past an open breaker.
  const of = (campaignId: string) => createBreaker({ redis: deps.redis, prefix: deps.prefix, accountId: `dialer:${campaignId}`, ...deps.settings, refreshMs: 0 });

  async function view(campaignId: string): Promise<DialerBreakerView> {
    const [state, openedAt, failures] = await deps.redis.hmget(hashKey(campaignId), 'state', 'openedAt', 'failures');
    if (state !== 'open') return { state: (state as BreakerState | null) ?? 'closed', retryAfterMs: 0, failures: Number(failures ?? 0) };
    return { state: 'open', retryAfterMs: Math.max(0, Number(openedAt ?? 0) + deps.settings.openMs - Date.now()), failures: 0 };
  }

  const gauge = (campaignId: string, state: BreakerState) => deps.metrics?.campaignBreakerOpen.set({ campaign: campaignId }, state === 'open' ? 1 : 0);

  /**
   * Lets a call through or defers it (RateLimitedError: no attempt spent) while the breaker
   * is open or another process holds the half-open probe.
   */
  async function gate(campaignId: string): Promise<void> {
    await of(campaignId).check();
    const v = await view(campaignId);
    if (v.state !== 'half-open') return;
    const leased = await deps.redis.set(keys.probe(campaignId), '1', 'PX', deps.settings.openMs, 'NX');
    if (leased !== 'OK') throw new RateLimitedError(`dialer breaker of campaign ${campaignId} is half-open and its probe is out`, Math.max(1, Math.ceil(deps.settings.openMs / 10)), { code: ErrorCode.CircuitOpen });
  }

  async function record(campaignId: string, ok: boolean): Promise<BreakerState> {
    const state = await of(campaignId).record(ok);
    await deps.redis.del(keys.probe(campaignId));
    gauge(campaignId, state);
    return state;
  }

  return {
    view,
    gate,
    record,

    /**
     * One counted call: gated (deferred while open), then a success or a failure on the
     * breaker. A 429 is the account's limiter speaking, not the dialer: it counts neither way.
     */
    async guarded<T>(campaignId: string, call: () => Promise<T>): Promise<T> {
      await gate(campaignId);
      try {
        const r = await call();
        await record(campaignId, true);
        return r;
      } catch (err) {
        if (!(err instanceof RateLimitedError)) await record(campaignId, false);
        throw err;
      }
    },

    async reset(campaignId: string): Promise<void> {
      await deps.redis.del(hashKey(campaignId), keys.probe(campaignId));
      gauge(campaignId, 'closed');
    },

    clearMetrics(campaignId: string): void {
      deps.metrics?.campaignBreakerOpen.remove({ campaign: campaignId });
    },
  };
}

export type DialerBreakers = ReturnType<typeof createDialerBreakers>;
