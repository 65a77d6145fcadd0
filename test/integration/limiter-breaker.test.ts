// The fleet-wide limiter and breaker against real Redis. No wall-clock assertions: the
// limiter is driven with maxWaitMs 0 so refusals, not timings, show the budget.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createBreaker } from '../../src/cxone/breaker.ts';
import { COLD_START_HEADROOM, createRateLimiter, LEAD_MS, limiterKeys, pacingIntervalMs, windowCap, WINDOW_MS } from '../../src/cxone/rate-limiter.ts';
import { randomUUID } from 'node:crypto';
import { ErrorCode, RateLimitedError } from '../../src/errors.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createRedis } from '../../src/redis.ts';
import { defineScript } from '../../src/redis-script.ts';
import { createTestRedis, deleteKeysWithPrefix, REDIS_URL, testPrefix } from '../helpers/redis.ts';

const redis = createTestRedis();
const prefixes: string[] = [];
const newPrefix = () => {
  const p = testPrefix('lim');
  prefixes.push(p);
  return p;
};
afterEach(async () => {
  for (const p of prefixes.splice(0)) await deleteKeysWithPrefix(redis, p);
});
afterAll(async () => {
  await redis.quit();
});

async function refusal(p: Promise<unknown>): Promise<RateLimitedError | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    if (err instanceof RateLimitedError) return err;
    throw err;
  }
}

describe('rate limiter', () => {
  it('lets a burst through, then books the next slot one interval later', async () => {
    const lim = createRateLimiter({ redis, prefix: newPrefix(), accountId: 'a', rps: 10, burst: 3, maxWaitMs: 0 });
    const results = await Promise.all(Array.from({ length: 5 }, () => refusal(lim.acquire())));
    expect(results.filter((r) => r === undefined)).toHaveLength(3);
    const refused = results.filter((r): r is RateLimitedError => r !== undefined);
    expect(refused).toHaveLength(2);
    for (const r of refused) {
      expect(r.retryAfterMs).toBeGreaterThan(0);
      // The next free time: three paces after the burst's first, less the lead nobody waits for.
      expect(r.retryAfterMs).toBeLessThanOrEqual(Math.ceil(3 * pacingIntervalMs(10) + LEAD_MS) + 1);
    }
  });

  it('is shared by every limiter of the account, not by other accounts', async () => {
    const prefix = newPrefix();
    const a1 = createRateLimiter({ redis, prefix, accountId: 'a', rps: 10, burst: 1, maxWaitMs: 0 });
    const a2 = createRateLimiter({ redis, prefix, accountId: 'a', rps: 10, burst: 1, maxWaitMs: 0 });
    const b = createRateLimiter({ redis, prefix, accountId: 'b', rps: 10, burst: 1, maxWaitMs: 0 });
    expect(await refusal(a1.acquire())).toBeUndefined();
    expect(await refusal(a2.acquire())).toBeInstanceOf(RateLimitedError);
    expect(await refusal(b.acquire())).toBeUndefined();
  });

  it('a pause after a 429 holds every caller of the account until it ends', async () => {
    const prefix = newPrefix();
    const lim = createRateLimiter({ redis, prefix, accountId: 'a', rps: 1000, burst: 10, maxWaitMs: 1000 });
    await lim.pauseFor(5000);
    const r = await refusal(lim.acquire());
    expect(r).toBeInstanceOf(RateLimitedError);
    expect(r!.retryAfterMs).toBeGreaterThan(4000);
    // A shorter pause never shortens a longer one.
    await lim.pauseFor(10);
    expect((await refusal(lim.acquire()))!.retryAfterMs).toBeGreaterThan(4000);
  });

  it('never logs more than the cap in any second, paced, with no precision lost in Redis', async () => {
    const prefix = newPrefix();
    // 10/s: a cap of 9 a second and ~91 ms between calls, so the log runs seconds ahead of
    // the clock however slowly this test runs, and each time is placed by the rules alone.
    const lim = createRateLimiter({ redis, prefix, accountId: 'a', rps: 10, burst: 1, maxWaitMs: 60_000 });
    // An aborted signal books the time and then skips the wait.
    for (let i = 0; i < 30; i++) await lim.acquire(AbortSignal.abort()).catch(() => undefined);
    const flat = await redis.zrange(limiterKeys(prefix, 'a').log, '0', '-1', 'WITHSCORES');
    const times = flat.filter((_, i) => i % 2 === 1).map(Number);
    expect(times).toHaveLength(30);
    const cap = windowCap(10);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(pacingIntervalMs(10) - 0.002);
    // The cap-th next call waits for the first to leave the window: exactly a window later,
    // to the microsecond (one decimal of storage, an old bug, would be ~0.1 ms off).
    for (let i = cap; i < times.length; i++) expect(times[i]! - times[i - cap]!).toBeGreaterThanOrEqual(WINDOW_MS - 0.002);
    expect(times[cap]! - times[0]!).toBeCloseTo(WINDOW_MS, 2);
  });

  it('books with more headroom while its process is cold, and with the usual cap after', async () => {
    // 100/s: a cap of 98 a second, 95 while cold; paced ~7.7 ms apart, so 97 bookings span
    // ~740 ms unless the cap holds one back to a window after the first.
    const rps = 100;
    expect(windowCap(rps, COLD_START_HEADROOM)).toBe(95);
    const spanOf96 = async (coldStartMs: number) => {
      const prefix = newPrefix();
      const lim = createRateLimiter({ redis, prefix, accountId: 'a', rps, burst: 1, maxWaitMs: 60_000, coldStartMs });
      for (let i = 0; i < 96; i++) await lim.acquire(AbortSignal.abort()).catch(() => undefined);
      const times = (await redis.zrange(limiterKeys(prefix, 'a').log, '0', '-1', 'WITHSCORES')).filter((_, i) => i % 2 === 1).map(Number);
      return times[95]! - times[0]!;
    };
    expect(await spanOf96(60_000)).toBeGreaterThanOrEqual(WINDOW_MS - 0.002);
    expect(await spanOf96(0)).toBeLessThan(WINDOW_MS);
  });

  it('a time given back leaves room in its second: the next booking takes it', async () => {
    const prefix = newPrefix();
    const lim = createRateLimiter({ redis, prefix, accountId: 'a', rps: 10, burst: 1, maxWaitMs: 60_000 });
    const log = limiterKeys(prefix, 'a').log;
    const book = async () => {
      await lim.acquire(AbortSignal.abort()).catch(() => undefined);
      return Number((await redis.zrange(log, '-1', '-1', 'WITHSCORES'))[1]);
    };
    const cap = windowCap(10);
    const times: number[] = [];
    for (let i = 0; i < cap; i++) times.push(await book());
    // A second's worth is booked, paced. One of its times is given back (what a late call's
    // rebooking does first): the next booking is paced right behind the last one, not held
    // until the first leaves the window...
    await redis.zrem(log, (await redis.zrange(log, '3', '3'))[0]!);
    expect((await book()) - times.at(-1)!).toBeCloseTo(pacingIntervalMs(10), 2);
    // ...and the second is full again: the one after that waits for the first to leave.
    expect((await book()) - times[0]!).toBeCloseTo(WINDOW_MS, 2);
  });

  /** Fills the log so that the account's next free time is `aheadMs` from Redis's now. */
  async function bookedOut(prefix: string, rps: number, aheadMs: number): Promise<number> {
    const [sec, micro] = await redis.time();
    const now = Number(sec) * 1000 + Number(micro) / 1000;
    const args = Array.from({ length: windowCap(rps) }, (_, i) => [now - WINDOW_MS + aheadMs, `other:${i}`]).flat();
    await redis.zadd(limiterKeys(prefix, 'a').log, ...args);
    return now;
  }

  /** Waits until this process's booking is in the log (its answer is in by the next macrotask). */
  async function bookingOf(prefix: string): Promise<{ member: string; at: number }> {
    for (;;) {
      const flat = await redis.zrange(limiterKeys(prefix, 'a').log, '0', '-1', 'WITHSCORES');
      for (let i = 0; i < flat.length; i += 2) if (!flat[i]!.startsWith('other:')) return { member: flat[i]!, at: Number(flat[i + 1]) };
    }
  }

  it('gives back a time its process reached late, counts it, and books again', async () => {
    const prefix = newPrefix();
    const metrics = createMetrics();
    const lim = createRateLimiter({ redis, prefix, accountId: 'a', rps: 200, burst: 1, maxWaitMs: 5000, metrics });
    const now = await bookedOut(prefix, 200, 60);
    const acquired = lim.acquire();
    const booked = await bookingOf(prefix);
    await new Promise((r) => setImmediate(r));
    expect(booked.at).toBeGreaterThanOrEqual(now + 60);
    // Then the event loop is held well past that time, as a long GC pause or a descheduled
    // process would hold it.
    const spinUntil = performance.now() + 150;
    while (performance.now() < spinUntil);
    await acquired;
    // The late time is gone from the log (its second has room again); the call went at a new one.
    const log = limiterKeys(prefix, 'a').log;
    expect(await redis.zscore(log, booked.member)).toBeNull();
    const mine = (await redis.zrange(log, '0', '-1')).filter((m) => !m.startsWith('other:'));
    expect(mine).toHaveLength(1);
    expect(Number(await redis.zscore(log, mine[0]!))).toBeGreaterThan(booked.at + 50);
    // Counted (the fresh time, due at once, may itself be reached a little late on a busy
    // machine and be given back too).
    const missed = (await metrics.limiterMissedSlots.get()).values;
    expect(missed).toHaveLength(1);
    expect(missed[0]!.labels).toEqual({ account: 'a' });
    expect(missed[0]!.value).toBeGreaterThanOrEqual(1);
    const lateness = (await metrics.limiterLatenessSeconds.get()).values;
    const reached = lateness.find((v) => v.metricName === 'cxone_fleet_limiter_lateness_seconds_count')!.value;
    const within50ms = lateness.find((v) => (v.labels as Record<string, unknown>).le === 0.05)!.value;
    expect(reached - within50ms).toBe(1); // the held one
  });

  it('keeps every second of the log within the cap while processes reach their times late', async () => {
    const prefix = newPrefix();
    const metrics = createMetrics();
    const rps = 100;
    const limiters = Array.from({ length: 3 }, () => createRateLimiter({ redis, prefix, accountId: 'a', rps, burst: 1, maxWaitMs: 10_000, metrics }));
    // The log is trimmed as it goes: read it often enough to see every entry. An entry gone
    // while its second was not over was given back (its call went at another time).
    const seen = new Map<string, number>();
    const givenBack = new Set<string>();
    const watch = async () => {
      const [[, time], [, flat]] = (await redis.multi().time().zrange(limiterKeys(prefix, 'a').log, '0', '-1', 'WITHSCORES').exec()) as [
        [null, [string, string]],
        [null, string[]],
      ];
      const now = Number(time[0]) * 1000 + Number(time[1]) / 1000;
      const present = new Set<string>();
      for (let i = 0; i < flat.length; i += 2) {
        present.add(flat[i]!);
        seen.set(flat[i]!, Number(flat[i + 1]));
      }
      for (const [member, at] of seen) if (!present.has(member) && at > now - WINDOW_MS) givenBack.add(member);
    };
    const watcher = setInterval(() => void watch(), 50);
    // Hold the event loop now and then, so calls reach their times late and book again.
    let held = 0;
    const holder = setInterval(() => {
      const until = performance.now() + 5 + ((held++ * 7) % 20);
      while (performance.now() < until);
    }, 37);
    try {
      await Promise.all(Array.from({ length: 150 }, (_, i) => limiters[i % 3]!.acquire()));
    } finally {
      clearInterval(holder);
      clearInterval(watcher);
    }
    await watch();
    const times = [...seen].filter(([member]) => !givenBack.has(member)).map(([, at]) => at).sort((x, y) => x - y);
    expect(times).toHaveLength(150);
    let first = 0;
    for (let i = 0; i < times.length; i++) {
      while (times[i]! - times[first]! >= WINDOW_MS) first++;
      expect(i - first + 1).toBeLessThanOrEqual(windowCap(rps));
    }
    const missed = (await metrics.limiterMissedSlots.get()).values.reduce((n, v) => n + v.value, 0);
    expect(missed).toBeGreaterThan(0);
  });

  it('keeps the schedule about its horizon ahead however many calls are in flight', async () => {
    const prefix = newPrefix();
    const rps = 200;
    const horizonMs = 40;
    // Two processes with 60 calls each in flight: booked all at once, the schedule would
    // run 120 paced calls (~460 ms) ahead; held to their turns, it stays near the horizon.
    const limiters = Array.from({ length: 2 }, () => createRateLimiter({ redis, prefix, accountId: 'a', rps, burst: 1, maxWaitMs: 10_000, bookingHorizonMs: horizonMs }));
    let deepest = 0;
    let sampling = true;
    const sample = async () => {
      while (sampling) {
        const [[, time], [, latest]] = (await redis.multi().time().zrange(limiterKeys(prefix, 'a').log, '-1', '-1', 'WITHSCORES').exec()) as [
          [null, [string, string]],
          [null, string[]],
        ];
        const now = Number(time[0]) * 1000 + Number(time[1]) / 1000;
        if (latest[1] !== undefined) deepest = Math.max(deepest, Number(latest[1]) - now);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    const sampler = sample();
    try {
      await Promise.all(Array.from({ length: 120 }, (_, i) => limiters[i % 2]!.acquire()));
    } finally {
      sampling = false;
      await sampler;
    }
    // Each process steps its turns by one per booking, so the fleet may overshoot the
    // horizon by a few bookings; 120 calls booked at once would be ten horizons deep.
    expect(deepest).toBeGreaterThan(horizonMs / 2);
    expect(deepest).toBeLessThan(horizonMs + 10 * pacingIntervalMs(rps));
  });

  it('paces reservations in process when the wait is allowed', async () => {
    const lim = createRateLimiter({ redis, prefix: newPrefix(), accountId: 'a', rps: 200, burst: 1, maxWaitMs: 5000 });
    const results = await Promise.all(Array.from({ length: 20 }, () => refusal(lim.acquire())));
    expect(results.every((r) => r === undefined)).toBe(true);
  });
});

describe('circuit breaker', () => {
  it('opens after N consecutive failures, defers calls, half-opens, and closes after M successes', async () => {
    const prefix = newPrefix();
    const br = createBreaker({ redis, prefix, accountId: 'a', failureThreshold: 3, openMs: 200, halfOpenSuccesses: 2 });
    await br.record(false);
    await br.record(false);
    await br.record(true); // a success resets the run of failures
    await br.record(false);
    await br.record(false);
    expect(await br.state()).toBe('closed');
    expect(await br.record(false)).toBe('open');

    const err = await br.check().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).code).toBe(ErrorCode.CircuitOpen);

    // Wait for the open period to pass by polling the breaker itself (bounded).
    for (let i = 0; i < 200; i++) {
      if ((await br.check().then(() => true, () => false))) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await br.state()).toBe('half-open');
    expect(await br.record(false)).toBe('open'); // a failure while half-open reopens
    for (let i = 0; i < 200; i++) {
      if ((await br.check().then(() => true, () => false))) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await br.record(true)).toBe('half-open');
    expect(await br.record(true)).toBe('closed');
  });
});

describe('limiter and a 429 pause', () => {
  it('a call booked before another process paused the account does not go out into the pause', async () => {
    const prefix = newPrefix();
    // Two processes of one account; 10/s with no burst, so a second booking waits ~100 ms.
    const a = createRateLimiter({ redis, prefix, accountId: 'a', rps: 10, burst: 1, maxWaitMs: 10_000 });
    const b = createRateLimiter({ redis, prefix, accountId: 'a', rps: 10, burst: 1, maxWaitMs: 10_000 });
    await a.acquire(); // takes the free slot; the next one is an interval away
    const booked = refusal(a.acquire()); // booked now, due in ~100 ms
    await new Promise((r) => setImmediate(r));
    await b.pauseFor(30_000); // b got a 429 meanwhile
    // a books again (another job): the answer tells it the account is paused.
    const later = refusal(a.acquire());
    const first = await booked;
    expect(first).toBeInstanceOf(RateLimitedError);
    expect(first!.message).toMatch(/paused/);
    expect(first!.retryAfterMs).toBeGreaterThan(20_000);
    // One booked after the pause gets a slot after it, here beyond maxWait: refused, not sent.
    const second = await later;
    expect(second).toBeInstanceOf(RateLimitedError);
    expect(second!.retryAfterMs).toBeGreaterThan(20_000);
  });

  it('its own 429 holds the process\'s booked calls at once', async () => {
    const prefix = newPrefix();
    const a = createRateLimiter({ redis, prefix, accountId: 'a', rps: 10, burst: 1, maxWaitMs: 60_000 });
    await a.acquire();
    const booked = a.acquire();
    await new Promise((r) => setImmediate(r));
    await a.pauseFor(5_000);
    const err = await refusal(booked);
    expect(err?.message).toMatch(/paused/);
  });
});

describe('limiter with the breaker in the same round trip', () => {
  it('books nothing while the circuit is open and says when a success must be recorded', async () => {
    const prefix = newPrefix();
    const lim = createRateLimiter({ redis, prefix, accountId: 'a', rps: 100, burst: 5, maxWaitMs: 5_000 });
    const br = createBreaker({ redis, prefix, accountId: 'a', failureThreshold: 2, openMs: 60_000, halfOpenSuccesses: 1 });
    const logged = async () => redis.zcard(limiterKeys(prefix, 'a').log);

    expect(await lim.acquire(undefined, br.gate)).toBe(false); // closed, no failures: nothing to write
    await br.record(false);
    expect(await lim.acquire(undefined, br.gate)).toBe(true); // a failure on record: a success resets it
    await br.record(false);
    expect(await br.state()).toBe('open');

    const booked = await logged();
    const err = await refusal(lim.acquire(undefined, br.gate));
    expect(err?.code).toBe(ErrorCode.CircuitOpen);
    expect(err!.retryAfterMs).toBeGreaterThan(50_000);
    expect(await logged()).toBe(booked); // no time spent on a call that does not go out
    // Without the gate (e.g. a caller that checks the breaker itself) the time is booked.
    expect(await lim.acquire()).toBe(false);
    expect(await logged()).toBe(booked + 1);
  });

  it('turns an open breaker whose time is up half-open, like check()', async () => {
    const prefix = newPrefix();
    const lim = createRateLimiter({ redis, prefix, accountId: 'a', rps: 100, burst: 5, maxWaitMs: 5_000 });
    const br = createBreaker({ redis, prefix, accountId: 'a', failureThreshold: 1, openMs: 1, halfOpenSuccesses: 1 });
    await br.record(false);
    // openMs 1: by the next round trip the open period is over (Redis's own clock decides).
    let verdict: boolean | undefined;
    for (let i = 0; i < 50 && verdict === undefined; i++) verdict = await lim.acquire(undefined, br.gate).catch(() => undefined);
    expect(verdict).toBe(true);
    expect(await br.state()).toBe('half-open');
    expect(await br.record(true)).toBe('closed');
  });
});

describe('scripts on an auto-pipelined connection', () => {
  it('run beside plain commands in one tick, the first time Redis sees them too', async () => {
    // A worker's command connection: every command of a tick leaves in one pipeline. A script
    // Redis has never seen (a fresh comment makes a fresh SHA) takes the EVAL fallback there.
    const conn = createRedis({ url: REDIS_URL }, 'commands');
    try {
      const prefix = newPrefix();
      const fresh = defineScript<string>(`cxfTest${Date.now()}`, 1, `-- ${randomUUID()}\nreturn redis.call('INCR', KEYS[1])`);
      const lim = createRateLimiter({ redis: conn, prefix, accountId: 'a', rps: 100, burst: 5, maxWaitMs: 5_000 });
      const br = createBreaker({ redis: conn, prefix, accountId: 'a', failureThreshold: 3, openMs: 200, halfOpenSuccesses: 2 });
      const counter = `${prefix}:counter`;
      const [, first, , second, mustRecord, , ttl] = await Promise.all([
        conn.set(counter, '10'),
        fresh.run(conn, [counter], []),
        lim.acquire(),
        fresh.run(conn, [counter], []),
        br.check(),
        lim.acquire(),
        conn.pttl(counter),
      ]);
      expect([first, second]).toEqual([11, 12]);
      expect(mustRecord).toBe(false);
      expect(ttl).toBe(-1);
      // The connection is still in step: a later command gets its own answer.
      expect(await conn.incr(counter)).toBe(13);
    } finally {
      await conn.quit();
    }
  });
});
