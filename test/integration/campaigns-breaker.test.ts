// The dialer breaker's one way of counting a call (guarded), on real Redis: a success and a
// failure count, a 429 (the account's limiter, not the dialer) counts neither way, and an
// open breaker defers the call without running it.
import { describe, expect, it } from 'vitest';
import { createDialerBreakers } from '../../src/campaigns/dialer-breaker.ts';
import { ErrorCode, RateLimitedError, TransientError, type FleetError } from '../../src/errors.ts';
import { useTestRedis } from '../helpers/redis.ts';

const { redis, prefix } = useTestRedis('dialer-breaker');
const breakers = createDialerBreakers({ redis, prefix, settings: { failureThreshold: 3, openMs: 30_000, halfOpenSuccesses: 2 } });
const failing = () => Promise.reject(new TransientError('pacing call failed', { code: ErrorCode.CxoneServerError }));

describe('dialer breaker: guarded', () => {
  it('counts failures, not 429s; opens at three; while open the call is not made and the caller is deferred', async () => {
    const id = 'cmp-guarded-1';
    await expect(breakers.guarded(id, () => Promise.resolve('ok'))).resolves.toBe('ok');
    await expect(breakers.guarded(id, failing)).rejects.toThrow('pacing call failed');
    await expect(breakers.guarded(id, () => Promise.reject(new RateLimitedError('429', 1000)))).rejects.toBeInstanceOf(RateLimitedError);
    expect(await breakers.view(id)).toMatchObject({ state: 'closed', failures: 1 });
    await expect(breakers.guarded(id, failing)).rejects.toThrow();
    await expect(breakers.guarded(id, failing)).rejects.toThrow();
    expect((await breakers.view(id)).state).toBe('open');
    let called = false;
    const deferred = await breakers
      .guarded(id, () => {
        called = true;
        return Promise.resolve();
      })
      .catch((e: unknown) => e as FleetError);
    expect(called).toBe(false);
    expect(deferred).toBeInstanceOf(RateLimitedError);
    expect((deferred as FleetError).code).toBe(ErrorCode.CircuitOpen);
  });

  it('a success resets the count of a closed breaker', async () => {
    const id = 'cmp-guarded-2';
    await expect(breakers.guarded(id, failing)).rejects.toThrow();
    await expect(breakers.guarded(id, failing)).rejects.toThrow();
    await breakers.guarded(id, () => Promise.resolve());
    expect(await breakers.view(id)).toMatchObject({ state: 'closed', failures: 0 });
  });
});
