import { describe, expect, it } from 'vitest';
import { buildTokenRequest } from '../../src/cxone/auth.ts';
import { buildPath, DEFAULT_ENDPOINTS, resolveEndpoints } from '../../src/cxone/endpoints.ts';
import { errorForStatus, parseRetryAfter } from '../../src/cxone/http.ts';
import { JITTER_HEADROOM, LATE_TOLERANCE_MS, PACE_SLACK, pacingIntervalMs, windowCap } from '../../src/cxone/rate-limiter.ts';
import { createRedisClock } from '../../src/cxone/redis-clock.ts';
import { ErrorCode, PermanentError, RateLimitedError, TransientError, ValidationError } from '../../src/errors.ts';
import { classifyError } from '../../src/queues/outcome.ts';

describe('endpoint map', () => {
  it('fills and encodes path parameters', () => {
    expect(buildPath(DEFAULT_ENDPOINTS.emailChannelGet.path, { id: 'a/b c' })).toBe('/api/v2/channels/email/a%2Fb%20c');
    expect(() => buildPath('/x/{id}', {})).toThrow(/missing path parameter id/);
  });

  it('takes overrides from JSON and refuses unknown names', () => {
    const map = resolveEndpoints('{"smsSend":{"path":"/sms/v1/send"},"token":{"path":"/api/v2/oauth/token"}}');
    expect(map.smsSend).toEqual({ method: 'POST', path: '/sms/v1/send' });
    expect(map.token.path).toBe('/api/v2/oauth/token');
    expect(() => resolveEndpoints('{"smsSnd":{"path":"/x"}}')).toThrow(/smsSnd: unknown endpoint name/);
    expect(() => resolveEndpoints('{"smsSend":{"path":"x"}}')).toThrow(/smsSend.path/);
    expect(() => resolveEndpoints('not json')).toThrow(ValidationError);
  });
});

describe('client credentials', () => {
  const base = { tokenUrl: 'http://x/oauth/token', clientId: 'id:1', clientSecret: 's&2', scope: 'a b' };
  it('puts credentials in the form body', () => {
    const r = buildTokenRequest({ ...base, authStyle: 'form' });
    const form = new URLSearchParams(r.body);
    expect(form.get('client_id')).toBe('id:1');
    expect(form.get('client_secret')).toBe('s&2');
    expect(form.get('scope')).toBe('a b');
    expect(r.headers.authorization).toBeUndefined();
  });
  it('or in HTTP Basic, url-encoded first', () => {
    const r = buildTokenRequest({ ...base, authStyle: 'basic' });
    expect(new URLSearchParams(r.body).get('client_secret')).toBeNull();
    const decoded = Buffer.from(r.headers.authorization!.replace('Basic ', ''), 'base64').toString();
    expect(decoded).toBe('id%3A1:s%262');
  });
});

describe('status mapping', () => {
  it('maps statuses to the taxonomy', () => {
    expect(errorForStatus(400, 'smsSend', {}).retryable).toBe(false);
    expect(errorForStatus(422, 'smsSend', {}).code).toBe(ErrorCode.BadRequest);
    expect(errorForStatus(404, 'smsSend', {}).code).toBe(ErrorCode.NotFound);
    expect(errorForStatus(412, 'x', {}).retryable).toBe(true);
    expect(errorForStatus(503, 'x', {}).retryable).toBe(true);
    const forbidden = errorForStatus(403, 'smsSend', { scope: 'message:sms:send' });
    expect(forbidden.message).toContain('message:sms:send');
    expect(forbidden.retryable).toBe(false);
  });

  it('reads Retry-After as seconds or as a date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.5')).toBe(500);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('classifies errors into BullMQ outcomes', () => {
    expect(classifyError(new RateLimitedError('x', 1500))).toEqual({ kind: 'rate-limited', delayMs: 1500 });
    expect(classifyError(new PermanentError('x', { code: 'C' }))).toEqual({ kind: 'unrecoverable', code: 'C' });
    expect(classifyError(new TransientError('x', { code: 'T' }))).toEqual({ kind: 'retry', code: 'T' });
    expect(classifyError(new Error('bug'))).toEqual({ kind: 'retry', code: 'UNEXPECTED' });
  });
});

describe('limiter sizing', () => {
  it('leaves the headroom free in every second, and at least one call', () => {
    for (const rps of [1, 10, 100, 200, 500, 1000]) {
      const cap = windowCap(rps);
      expect(cap).toBeGreaterThanOrEqual(1);
      expect(cap).toBeLessThanOrEqual(Math.max(1, rps * (1 - JITTER_HEADROOM)));
      if (rps >= 100) expect(cap / rps).toBeGreaterThanOrEqual(0.97);
    }
  });

  it('paces calls a little faster than the budget, so room given back is taken up within a few calls', () => {
    for (const rps of [10, 100, 500]) {
      const budgetSpacing = 1000 / windowCap(rps);
      expect(pacingIntervalMs(rps)).toBeLessThan(budgetSpacing);
      // Never faster than the slack over the account's limit, even for a moment.
      expect(1000 / pacingIntervalMs(rps)).toBeLessThanOrEqual(rps * (1 + PACE_SLACK) + 1e-9);
    }
  });

  it('lets calls go late, without booking again, only by what fits in a small share of the headroom', () => {
    for (const rps of [100, 500, 1000]) {
      // A call sent L ms after its logged time adds at most rate × L to one second.
      expect((rps * LATE_TOLERANCE_MS) / 1000).toBeLessThanOrEqual((rps - windowCap(rps)) / 4 + 1e-9);
    }
  });
});

describe('Redis clock', () => {
  it('takes the offset from the exchange with the shortest round trip', () => {
    const clock = createRedisClock();
    // Redis's clock reads 1000 ms ahead of ours; it read it somewhere within each exchange.
    clock.observe(0, 10, 1008); // slow exchange: read 3 ms after its middle, so off by 3 ms
    expect(clock.toLocal(2000)).toBeCloseTo(997, 6);
    clock.observe(20, 20.2, 1020.1); // fast exchange replaces it
    expect(clock.toLocal(2000)).toBeCloseTo(1000, 6);
    clock.observe(30, 40, 1031); // a slow one later does not
    expect(clock.toLocal(2000)).toBeCloseTo(1000, 6);
  });

  it('follows drift: an aged estimate gives way to a fresh exchange with a longer round trip', () => {
    const clock = createRedisClock();
    clock.observe(0, 0.1, 1000.05);
    // Ten seconds later the clocks have drifted 2 ms apart; a 1 ms exchange is now the better one.
    clock.observe(10_000, 10_001, 11_002.5);
    expect(clock.toLocal(12_002)).toBeCloseTo(11_000, 6);
  });

  it('ignores answers that make no sense (no time, a negative round trip)', () => {
    const clock = createRedisClock();
    clock.observe(0, 0.5, 1000.25);
    clock.observe(5, 4, 9999);
    clock.observe(6, 6.1, Number.NaN);
    expect(clock.toLocal(2000)).toBeCloseTo(1000, 6);
  });
});
