import { describe, expect, it } from 'vitest';
import { buildTokenRequest } from '../../src/cxone/auth.ts';
import { buildPath, DEFAULT_ENDPOINTS, resolveEndpoints } from '../../src/cxone/endpoints.ts';
import { errorForStatus, parseRetryAfter } from '../../src/cxone/http.ts';
import { emissionIntervalMs, lateToleranceMs } from '../../src/cxone/rate-limiter.ts';
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
  it('keeps rate + burst within the limit of any sliding second', () => {
    for (const [rps, burst] of [[100, 2], [200, 2], [500, 5], [10, 1]] as const) {
      const rate = 1000 / emissionIntervalMs(rps, burst);
      expect(rate + burst).toBeLessThanOrEqual(rps);
      if (rps >= 100) expect(rate / rps).toBeGreaterThan(0.95);
    }
  });

  it('lets a late slot through only while the requests it shifts fit in the headroom', () => {
    for (const [rps, burst] of [[100, 2], [200, 2], [500, 1], [500, 5], [1000, 10]] as const) {
      const interval = emissionIntervalMs(rps, burst);
      const rate = 1000 / interval;
      const lateMs = lateToleranceMs(rps, burst);
      // Every request of the window's first lateMs can be pushed into it: rate × late more.
      expect(rate + burst + (rate * lateMs) / 1000).toBeLessThanOrEqual(rps);
      // Three quarters of the headroom stay for jitter nobody sees (network, CXone's clock).
      expect((rate * Math.max(0, lateMs - interval)) / 1000).toBeLessThanOrEqual((rps - rate - burst) / 4 + 1e-9);
      // At high rates it is looser than one interval, so a busy event loop wastes fewer slots.
      if (rps >= 500) expect(lateMs).toBeGreaterThan(interval);
    }
    // At a low rate one interval is the floor: one late request is one extra at most.
    expect(lateToleranceMs(10, 1)).toBe(emissionIntervalMs(10, 1));
  });
});
