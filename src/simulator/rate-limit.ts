// Per-account limits, counted the ways upstreams count (config `rateLimit.mode`):
// - sliding: at most `rps` in any sliding second, exactly (a ring of the last `rps` allowed
//   times answers "were there already rps in the past second?" from one slot); Retry-After.
// - hidden: the same count, but the 429 carries no Retry-After (as CXone's often do not).
// - token-bucket: `rps` tokens a second into a bucket of `burst`; Retry-After.
// - fixed-minute: at most `perMin` in each calendar minute; Retry-After to the minute's end.
import type { RateLimitConfig } from './config.ts';

export class WindowLimiter {
  readonly limit: number;
  private readonly windowMs: number;
  private readonly stamps: Float64Array;
  private next = 0;
  private last = -Infinity;

  constructor(limit: number, windowMs = 1000) {
    this.limit = limit;
    this.windowMs = windowMs;
    this.stamps = new Float64Array(limit).fill(-Infinity);
  }

  /** Records and allows the request at `t` if fewer than `limit` were allowed in (t - window, t]. */
  tryAcquire(t: number): boolean {
    const at = t < this.last ? this.last : t;
    const oldest = this.stamps[this.next] as number;
    if (at - oldest < this.windowMs) return false;
    this.stamps[this.next] = at;
    this.next = (this.next + 1) % this.limit;
    this.last = at;
    return true;
  }
}

/** A 429's Retry-After in whole seconds, or null for none. */
export type LimitVerdict = { ok: true } | { ok: false; retryAfterS: number | null };

/** Answers whether a request at `t` (ms) is allowed. */
type Counter = (t: number) => LimitVerdict;

const ALLOWED: LimitVerdict = { ok: true };
const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

function windowCounter(cfg: RateLimitConfig): Counter {
  const w = new WindowLimiter(cfg.rps);
  const retryAfterS = cfg.mode === 'hidden' ? null : Math.max(1, Math.ceil(cfg.retryAfterS ?? 1));
  return (t) => (w.tryAcquire(t) ? ALLOWED : { ok: false, retryAfterS });
}

/** The bucket's capacity when none is configured: 50 ms of the rate. */
export const defaultBurst = (rps: number) => Math.max(1, Math.round(rps / 20));

function bucketCounter(cfg: RateLimitConfig): Counter {
  const capacity = cfg.burst ?? defaultBurst(cfg.rps);
  let tokens = capacity;
  let last = -Infinity;
  return (t) => {
    tokens = Math.min(capacity, tokens + (Math.max(0, t - last) * cfg.rps) / 1000);
    last = Math.max(last, t);
    if (tokens < 1) return { ok: false, retryAfterS: seconds(((1 - tokens) * 1000) / cfg.rps) };
    tokens -= 1;
    return ALLOWED;
  };
}

function minuteCounter(cfg: RateLimitConfig): Counter {
  const budget = cfg.perMin ?? cfg.rps * 60;
  let minute = -1;
  let used = 0;
  return (t) => {
    const m = Math.floor(t / 60_000);
    if (m !== minute) [minute, used] = [m, 0];
    if (used >= budget) return { ok: false, retryAfterS: seconds((m + 1) * 60_000 - t) };
    used++;
    return ALLOWED;
  };
}

const COUNTERS: Record<NonNullable<RateLimitConfig['mode']>, (cfg: RateLimitConfig) => Counter> = {
  sliding: windowCounter,
  hidden: windowCounter,
  'token-bucket': bucketCounter,
  'fixed-minute': minuteCounter,
};

export interface AccountLimiters {
  check(accountId: string, t: number): LimitVerdict;
  /** Forget every count, e.g. after the limit changed or a stats reset. */
  reset(): void;
}

/** `getConfig` answers the limit of one account (its own, or the one every account gets). */
export function createAccountLimiters(getConfig: (accountId: string) => RateLimitConfig | null | undefined): AccountLimiters {
  // A config object is replaced, never changed, when the limit changes: it keys the counters.
  const byAccount = new Map<string, { cfg: RateLimitConfig; count: Counter }>();
  return {
    check(accountId, t) {
      const cfg = getConfig(accountId);
      if (!cfg) return ALLOWED;
      let entry = byAccount.get(accountId);
      if (entry?.cfg !== cfg) {
        entry = { cfg, count: COUNTERS[cfg.mode ?? 'sliding'](cfg) };
        byAccount.set(accountId, entry);
      }
      return entry.count(t);
    },
    reset() {
      byAccount.clear();
    },
  };
}
