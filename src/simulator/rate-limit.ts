// Per-account sliding-window limit, exact rather than a token bucket, so a client that
// respects N req/s never sees a 429 and one that bursts past it always does. A ring of
// the last `limit` allowed timestamps answers "were there already `limit` in the past
// second?" by looking at a single slot.
import type { RateLimitConfig } from './config.ts';

export class WindowLimiter {
  private readonly stamps: Float64Array;
  private next = 0;
  private last = -Infinity;

  readonly limit: number;
  private readonly windowMs: number;

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

export type LimitVerdict = { ok: true } | { ok: false; retryAfterS: number };

export interface AccountLimiters {
  check(accountId: string, t: number): LimitVerdict;
  /** Forget every window, e.g. after the limit changed or a stats reset. */
  reset(): void;
}

const ALLOWED: LimitVerdict = { ok: true };

export function createAccountLimiters(getConfig: () => RateLimitConfig | null): AccountLimiters {
  const byAccount = new Map<string, WindowLimiter>();
  return {
    check(accountId, t) {
      const cfg = getConfig();
      if (!cfg) return ALLOWED;
      let limiter = byAccount.get(accountId);
      if (!limiter || limiter.limit !== cfg.rps) {
        limiter = new WindowLimiter(cfg.rps);
        byAccount.set(accountId, limiter);
      }
      if (limiter.tryAcquire(t)) return ALLOWED;
      return { ok: false, retryAfterS: Math.max(1, Math.ceil(cfg.retryAfterS ?? 1)) };
    },
    reset() {
      byAccount.clear();
    },
  };
}
