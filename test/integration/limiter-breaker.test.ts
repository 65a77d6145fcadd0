// The fleet-wide limiter and breaker against real Redis. No wall-clock assertions: the
// limiter is driven with maxWaitMs 0, or with aborted signals (a call that books its slot
// and skips the wait), so refusals and the booked schedule, not timings, show the budget.
import type { RedisConnection } from '../../src/redis.ts';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createBreaker } from '../../src/cxone/breaker.ts';
import { createRateLimiter, limiterKeys, type RateLimiterOptions } from '../../src/cxone/rate-limiter.ts';
import { ErrorCode, RateLimitedError } from '../../src/errors.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createTestRedis, deleteKeysWithPrefix, testPrefix } from '../helpers/redis.ts';

const redis = createTestRedis();
const prefixes: string[] = [];
const closers: Array<() => Promise<unknown>> = [];
const newPrefix = () => {
  const p = testPrefix('lim');
  prefixes.push(p);
  return p;
};
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  for (const p of prefixes.splice(0)) await deleteKeysWithPrefix(redis, p);
});
afterAll(async () => {
  await redis.quit();
});

const BACKOFF = { baseMs: 2000, capMs: 60_000, quietMs: 10_000 };
function limiter(o: Partial<RateLimiterOptions> & { prefix: string }, conn: RedisConnection = redis) {
  const lim = createRateLimiter({ redis: conn, accountId: 'a', rps: 10, burst: 1, minIntervalMs: 0, maxWaitMs: 0, lateMs: 15, backoff: BACKOFF, ...o });
  closers.push(() => lim.close());
  return lim;
}
/** A Redis connection of its own, as another process has. */
function ownConnection(): RedisConnection {
  const conn = createTestRedis();
  closers.push(() => conn.quit());
  return conn;
}

async function refusal(p: Promise<unknown>): Promise<RateLimitedError | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    if (err instanceof RateLimitedError) return err;
    throw err;
  }
}
/** Books a slot without waiting for it: true if booked, false if refused as too far ahead. */
const book = (lim: ReturnType<typeof limiter>) => lim.acquire(AbortSignal.abort()).then(() => true, (e: unknown) => (e instanceof RateLimitedError ? false : true));

describe('rate limiter', () => {
  it('spaces calls evenly by default: the second call of a quiet account waits one interval', async () => {
    const lim = limiter({ prefix: newPrefix() });
    expect(await refusal(lim.acquire())).toBeUndefined();
    const r = await refusal(lim.acquire());
    expect(r).toBeInstanceOf(RateLimitedError);
    expect(r!.retryAfterMs).toBeGreaterThan(0);
    expect(r!.retryAfterMs).toBeLessThanOrEqual(100);
  });

  it('lets a burst through, then books the next slot one interval later', async () => {
    const lim = limiter({ prefix: newPrefix(), burst: 3 });
    const results = await Promise.all(Array.from({ length: 5 }, () => refusal(lim.acquire())));
    expect(results.filter((r) => r === undefined)).toHaveLength(3);
    for (const r of results.filter((x) => x !== undefined)) expect(r.retryAfterMs).toBeLessThanOrEqual(300);
  });

  it('is shared by every limiter of the account, not by other accounts', async () => {
    const prefix = newPrefix();
    const a1 = limiter({ prefix });
    const a2 = limiter({ prefix }, ownConnection());
    const b = limiter({ prefix, accountId: 'b' });
    expect(await refusal(a1.acquire())).toBeUndefined();
    expect(await refusal(a2.acquire())).toBeInstanceOf(RateLimitedError);
    expect(await refusal(b.acquire())).toBeUndefined();
  });

  it('4 processes book no more than the per-minute budget into any minute ahead', async () => {
    // 120 a minute less 3% headroom, as limiterBudget() sets it: one slot every ~515 ms.
    // The per-second rate is far looser, so only the minute budget can hold them back.
    const prefix = newPrefix();
    const minIntervalMs = 60_000 / (120 * 0.97);
    const fleet = Array.from({ length: 4 }, () => limiter({ prefix, rps: 1000, minIntervalMs, maxWaitMs: 59_999 }, ownConnection()));
    const booked = (await Promise.all(Array.from({ length: 200 }, (_, i) => book(fleet[i % 4]!)))).filter(Boolean).length;
    // Every booking is less than a minute from the first: all sit in one sliding minute.
    expect(booked).toBeLessThanOrEqual(120);
    expect(booked).toBeGreaterThanOrEqual(110);
  });

  it('a call that reaches its slot late books a fresh one instead of going out in a bunch', async () => {
    const prefix = newPrefix();
    const metrics = createMetrics();
    const lim = limiter({ prefix, rps: 200, maxWaitMs: 5000, metrics });
    // A first call subscribes to pauses and loads the script, so the next books at once.
    await lim.acquire();
    // The account's schedule runs 200 ms ahead: the next slot is that far off.
    const [sec, micro] = await redis.time();
    await redis.set(limiterKeys(prefix, 'a').tat, String(Number(sec) * 1000 + Number(micro) / 1000 + 200));
    const acquired = lim.acquire();
    // The limiter has its slot once it records how long the call will wait (it does so as it
    // reads the booking's answer, before it waits): only then is the loop held. A read of
    // the schedule over another connection is no sign: that answer may be read first.
    const waitsSeen = async () => (await metrics.limiterWaitSeconds.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
    while ((await waitsSeen()) < 2) await new Promise((r) => setImmediate(r));
    // Then the event loop is held well past that time, as a GC pause or a descheduled
    // process would hold it.
    const spinUntil = performance.now() + 400;
    while (performance.now() < spinUntil);
    await acquired;
    const rebooked = (await metrics.limiterRebookings.get()).values;
    expect(rebooked[0]?.value).toBeGreaterThanOrEqual(1);
  });

  it('a pause with Retry-After holds every caller of the account; a shorter one never shortens it', async () => {
    const prefix = newPrefix();
    const lim = limiter({ prefix, rps: 1000, burst: 10, maxWaitMs: 1000 });
    expect(await lim.rateLimited(5000)).toBe(5000);
    const r = await refusal(limiter({ prefix, rps: 1000, maxWaitMs: 1000 }, ownConnection()).acquire());
    expect(r!.retryAfterMs).toBeGreaterThan(4000);
    expect(await lim.rateLimited(10)).toBeGreaterThan(4000);
    expect((await refusal(lim.acquire()))!.retryAfterMs).toBeGreaterThan(4000);
  });

  it('without Retry-After, backs off 2 s, 4 s, 8 s... with full jitter, capped', async () => {
    const prefix = newPrefix();
    const keys = limiterKeys(prefix, 'a');
    const lim = limiter({ prefix, backoff: { baseMs: 2000, capMs: 6000, quietMs: 60_000 } });
    const pauses: number[] = [];
    for (const step of [2000, 4000, 6000, 6000]) {
      await redis.del(keys.pause); // the last pause is over
      const ms = await lim.rateLimited(undefined);
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThanOrEqual(step);
      pauses.push(ms);
    }
    expect(Number(await redis.get(keys.backoff))).toBe(4);
    // Full jitter: not one fixed pause per step.
    expect(new Set(pauses).size).toBeGreaterThan(1);
  });

  it('a 429 to a call sent before the pause neither backs off further nor shortens the pause', async () => {
    const prefix = newPrefix();
    const keys = limiterKeys(prefix, 'a');
    const lim = limiter({ prefix, adaptive: { startRps: 10, decrease: 0.5, climb: 0.01 } });
    await lim.acquire();
    expect(await lim.rateLimited(5000)).toBe(5000);
    const cut = await redis.hget(keys.adaptive, 'rate');
    expect(await lim.rateLimited(undefined)).toBeGreaterThan(4000);
    expect(await redis.get(keys.backoff)).toBeNull();
    expect(await redis.hget(keys.adaptive, 'rate')).toBe(cut); // cut once per pause
  });

  it('forgets the backoff after a quiet period', async () => {
    const prefix = newPrefix();
    const keys = limiterKeys(prefix, 'a');
    const lim = limiter({ prefix, backoff: { baseMs: 1, capMs: 1, quietMs: 50 } });
    await lim.rateLimited(undefined);
    expect(await redis.get(keys.backoff)).toBe('1');
    expect(await redis.pttl(keys.backoff)).toBeLessThanOrEqual(51);
  });

  it('a call booked before another process paused the account does not go out into the pause', async () => {
    const prefix = newPrefix();
    const a = limiter({ prefix, maxWaitMs: 10_000 });
    const b = limiter({ prefix, maxWaitMs: 10_000 }, ownConnection());
    await a.acquire(); // takes the free slot; the next one is an interval away
    await b.acquire().catch(() => undefined); // b's subscription is open from its first booking
    const tatKey = limiterKeys(prefix, 'a').tat;
    const before = await redis.get(tatKey);
    const booked = refusal(a.acquire()); // due in ~200 ms
    while ((await redis.get(tatKey)) === before); // booked (a microtask after the call)
    await b.rateLimited(30_000); // b got a 429 meanwhile; a books nothing more, it hears it published
    const err = await booked;
    expect(err?.message).toMatch(/paused/);
    expect(err!.retryAfterMs).toBeGreaterThan(20_000);
  });

  it('adaptive: a 429 cuts the rate by its share, and it climbs back from there', async () => {
    const prefix = newPrefix();
    const metrics = createMetrics();
    const keys = limiterKeys(prefix, 'a');
    const lim = limiter({ prefix, rps: 100, adaptive: { startRps: 50, decrease: 0.2, climb: 0.5 }, metrics });
    await lim.acquire();
    const rate = async () => (await metrics.limiterRate.get()).values[0]!.value;
    expect(await rate()).toBeGreaterThanOrEqual(50);
    await lim.rateLimited(1);
    const state = await redis.hgetall(keys.adaptive);
    expect(Number(state.rate)).toBeCloseTo(Number(state.step) / 0.5 * 0.8, 6);
    expect(Number(state.rate)).toBeLessThan(50);
    // Climbing at half the cut rate a second: a booking some time later finds it higher.
    await redis.del(keys.pause, keys.tat);
    for (let i = 0; i < 100 && (await rate()) <= Number(state.rate); i++) {
      await redis.del(keys.tat);
      await lim.acquire();
    }
    expect(await rate()).toBeGreaterThan(Number(state.rate));
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

    const passes = async () => {
      for (let i = 0; i < 200; i++) {
        if (await br.check().then(() => true, () => false)) return true;
        await new Promise((r) => setTimeout(r, 10));
      }
      return false;
    };
    expect(await passes()).toBe(true);
    expect(await br.state()).toBe('half-open');
    expect(await br.record(false)).toBe('open'); // a failure while half-open reopens
    expect(await passes()).toBe(true);
    expect(await br.record(true)).toBe('half-open');
    expect(await br.record(true)).toBe('closed');
  });

  it("another process's breaker opening is heard once the state read is stale", async () => {
    const prefix = newPrefix();
    const opts = { prefix, accountId: 'a', failureThreshold: 1, openMs: 60_000, halfOpenSuccesses: 1 };
    const mine = createBreaker({ redis, ...opts, refreshMs: 0 });
    const cached = createBreaker({ redis, ...opts, refreshMs: 60_000 });
    const other = createBreaker({ redis: ownConnection(), ...opts });
    expect(await mine.check()).toBe(false); // closed, no failures: nothing to record
    expect(await cached.check()).toBe(false);
    await other.record(false);
    expect((await refusal(mine.check()))?.code).toBe(ErrorCode.CircuitOpen);
    // Within its refresh period a process goes by what it read last.
    expect(await cached.check()).toBe(false);
  });
});
