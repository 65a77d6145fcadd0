// The fleet-wide limiter and breaker against real Redis. No wall-clock assertions: the
// limiter is driven with maxWaitMs 0 so refusals, not timings, show the budget.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createBreaker } from '../../src/cxone/breaker.ts';
import { createRateLimiter, emissionIntervalMs, limiterKeys } from '../../src/cxone/rate-limiter.ts';
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
      expect(r.retryAfterMs).toBeLessThanOrEqual(Math.ceil(emissionIntervalMs(10, 3)) + 1);
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

  it('books slots exactly one interval apart (no precision lost in Redis)', async () => {
    const prefix = newPrefix();
    // 10/s: each slot is ~113 ms after the last, so the booked time stays seconds ahead of
    // the clock however slowly this test runs, and each booking lands exactly on the last.
    const lim = createRateLimiter({ redis, prefix, accountId: 'a', rps: 10, burst: 1, maxWaitMs: 60_000 });
    const tat = async () => Number(await redis.get(limiterKeys(prefix, 'a').tat));
    // An aborted signal books the slot and then skips the wait.
    const book = () => lim.acquire(AbortSignal.abort()).catch(() => undefined);
    await book();
    const first = await tat();
    for (let i = 0; i < 49; i++) await book();
    // Within 0.05 ms after 49 bookings; one decimal of storage (the old bug) drifts ~1 ms.
    expect((await tat()) - first).toBeCloseTo(49 * emissionIntervalMs(10, 1), 1);
  });

  it('gives up a slot its process reached too late, counts it, and books a fresh one', async () => {
    const prefix = newPrefix();
    const metrics = createMetrics();
    const lim = createRateLimiter({ redis, prefix, accountId: 'a', rps: 200, burst: 1, maxWaitMs: 5000, metrics });
    // The account's next free slot is 60 ms away (Redis's clock, as the script reads it).
    const [sec, micro] = await redis.time();
    await redis.set(limiterKeys(prefix, 'a').tat, String(Number(sec) * 1000 + Number(micro) / 1000 + 60), 'PX', 10_000);
    const acquired = lim.acquire();
    // Wait for the booking itself, not a guessed time: replies on the shared connection come
    // in order, so once this GET is answered the booking's answer is in, and by the next
    // macrotask the limiter has read it and is waiting for its slot.
    const tat = Number(await redis.get(limiterKeys(prefix, 'a').tat));
    await new Promise((r) => setImmediate(r));
    expect(tat).toBeGreaterThan(Number(sec) * 1000 + 60); // the slot was booked
    // Then the event loop is held well past the slot, as a long GC pause or a descheduled
    // process would hold it.
    const spinUntil = performance.now() + 100;
    while (performance.now() < spinUntil);
    await acquired;
    const missed = (await metrics.limiterMissedSlots.get()).values;
    expect(missed).toEqual([expect.objectContaining({ labels: { account: 'a' }, value: 1 })]);
    // Two slots reached: the missed one (tens of ms late) and the fresh one.
    const lateness = (await metrics.limiterLatenessSeconds.get()).values;
    const count = lateness.find((v) => v.metricName === 'cxone_fleet_limiter_lateness_seconds_count')?.value;
    const atOrUnder20ms = lateness.find((v) => (v.labels as Record<string, unknown>).le === 0.02)?.value;
    expect(count).toBe(2);
    expect(atOrUnder20ms).toBe(1);
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
    const tat = async () => redis.get(limiterKeys(prefix, 'a').tat);

    expect(await lim.acquire(undefined, br.gate)).toBe(false); // closed, no failures: nothing to write
    await br.record(false);
    expect(await lim.acquire(undefined, br.gate)).toBe(true); // a failure on record: a success resets it
    await br.record(false);
    expect(await br.state()).toBe('open');

    const booked = await tat();
    const err = await refusal(lim.acquire(undefined, br.gate));
    expect(err?.code).toBe(ErrorCode.CircuitOpen);
    expect(err!.retryAfterMs).toBeGreaterThan(50_000);
    expect(await tat()).toBe(booked); // no slot spent on a call that does not go out
    // Without the gate (e.g. a caller that checks the breaker itself) the slot is booked.
    expect(await lim.acquire()).toBe(false);
    expect(await tat()).not.toBe(booked);
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
