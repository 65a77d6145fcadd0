import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAccountLimiters, WindowLimiter } from '../../src/simulator/rate-limit.ts';
import type { RateLimitConfig } from '../../src/simulator/config.ts';
import { SlidingWindowPeak, peakInWindow } from '../../src/simulator/sliding-window.ts';

describe('peakInWindow', () => {
  it('is 0 for no arrivals and 1 for one', () => {
    expect(peakInWindow([])).toBe(0);
    expect(peakInWindow([42])).toBe(1);
  });

  it('treats the window as half-open: arrivals exactly 1000 ms apart never share it', () => {
    expect(peakInWindow([0, 1000, 2000])).toBe(1);
    expect(peakInWindow([0, 999, 1000])).toBe(2);
  });

  it('finds the busiest window anywhere in the history', () => {
    const times = [0, 10, 20, 1500, 1600, 1700, 1800, 2400, 5000];
    // (1400, 2400] holds 1500, 1600, 1700, 1800, 2400.
    expect(peakInWindow(times)).toBe(5);
  });

  it('counts simultaneous arrivals together', () => {
    expect(peakInWindow([5, 5, 5, 5])).toBe(4);
  });
});

describe('SlidingWindowPeak', () => {
  it('agrees with the reference on any sorted arrival list', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 3000 }), (raw) => {
        const times = [...raw].sort((a, b) => a - b);
        const tracker = new SlidingWindowPeak(1000);
        for (const t of times) tracker.arrive(t);
        expect(tracker.peak).toBe(peakInWindow(times));
      }),
      { numRuns: 200 },
    );
  });

  it('grows past its initial buffer without losing arrivals', () => {
    const tracker = new SlidingWindowPeak(1000);
    for (let i = 0; i < 5000; i++) tracker.arrive(i * 0.1);
    expect(tracker.peak).toBe(5000);
  });

  it('treats a clock step backwards as the latest time instead of corrupting the window', () => {
    const tracker = new SlidingWindowPeak(1000);
    tracker.arrive(5000);
    tracker.arrive(100);
    expect(tracker.peak).toBe(2);
  });

  it('starts over on reset', () => {
    const tracker = new SlidingWindowPeak(1000);
    for (let i = 0; i < 10; i++) tracker.arrive(i);
    tracker.reset();
    tracker.arrive(20_000);
    expect(tracker.peak).toBe(1);
  });
});

describe('WindowLimiter', () => {
  it('allows exactly `limit` requests in any sliding second', () => {
    const l = new WindowLimiter(3);
    expect([0, 1, 2, 3].map((t) => l.tryAcquire(t))).toEqual([true, true, true, false]);
    expect(l.tryAcquire(999)).toBe(false);
    // The first allowed request (t=0) leaves the window at t=1000.
    expect(l.tryAcquire(1000)).toBe(true);
    expect(l.tryAcquire(1000)).toBe(false);
    expect(l.tryAcquire(1001)).toBe(true);
  });

  it('never allows more than `limit` in any window, per the reference count', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 0, max: 4000 }), { maxLength: 500 }),
        (limit, raw) => {
          const times = [...raw].sort((a, b) => a - b);
          const l = new WindowLimiter(limit);
          const allowed = times.filter((t) => l.tryAcquire(t));
          expect(peakInWindow(allowed)).toBeLessThanOrEqual(limit);
          // Rejected only when full: a request alone in its window is always allowed.
          if (times.length > 0) expect(allowed.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('simulator limit modes', () => {
  const limiterFor = (cfg: RateLimitConfig) => {
    const l = createAccountLimiters(() => cfg);
    return (t: number) => l.check('a', t);
  };

  it('hidden counts like sliding but answers with no Retry-After', () => {
    const sliding = limiterFor({ mode: 'sliding', rps: 2, retryAfterS: 3 });
    const hidden = limiterFor({ mode: 'hidden', rps: 2 });
    for (const t of [0, 10]) {
      expect(sliding(t)).toEqual({ ok: true });
      expect(hidden(t)).toEqual({ ok: true });
    }
    expect(sliding(20)).toEqual({ ok: false, retryAfterS: 3 });
    expect(hidden(20)).toEqual({ ok: false, retryAfterS: null });
    expect(hidden(1000)).toEqual({ ok: true });
  });

  it('token bucket: a full bucket lets its burst through, then one a token', () => {
    const check = limiterFor({ mode: 'token-bucket', rps: 10, burst: 3 });
    expect([0, 0, 0, 0].map((t) => check(t).ok)).toEqual([true, true, true, false]);
    expect(check(50)).toEqual({ ok: false, retryAfterS: 1 });
    expect(check(100).ok).toBe(true); // one token refilled at 10/s
    expect(check(150).ok).toBe(false);
    // Evenly spaced at the rate, a bucket of one never refuses.
    const even = limiterFor({ mode: 'token-bucket', rps: 200, burst: 1 });
    expect(Array.from({ length: 400 }, (_, i) => even(i * 5).ok).every(Boolean)).toBe(true);
  });

  it('token bucket defaults its capacity to 50 ms of the rate', () => {
    const check = limiterFor({ mode: 'token-bucket', rps: 200 });
    expect(Array.from({ length: 11 }, () => check(0).ok).filter(Boolean)).toHaveLength(10);
  });

  it('fixed minute: the budget per calendar minute, Retry-After to the minute end', () => {
    const check = limiterFor({ mode: 'fixed-minute', rps: 100, perMin: 2 });
    expect([60_000, 60_001].map((t) => check(t).ok)).toEqual([true, true]);
    expect(check(100_000)).toEqual({ ok: false, retryAfterS: 20 });
    // A new minute starts with its whole budget, however close to the last one's requests.
    expect(check(120_000).ok).toBe(true);
  });

  it('starts counting afresh when the limit is replaced', () => {
    let cfg: RateLimitConfig = { rps: 1 };
    const l = createAccountLimiters(() => cfg);
    expect(l.check('a', 0).ok).toBe(true);
    expect(l.check('a', 1).ok).toBe(false);
    cfg = { mode: 'token-bucket', rps: 1, burst: 2 };
    expect(l.check('a', 2).ok).toBe(true);
  });
});
