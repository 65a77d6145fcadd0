import { describe, expect, it } from 'vitest';
import { buildTokenRequest } from '../../src/cxone/auth.ts';
import { buildPath, DEFAULT_ENDPOINTS, resolveEndpoints } from '../../src/cxone/endpoints.ts';
import { errorForStatus, parseRetryAfter } from '../../src/cxone/http.ts';
import { limiterBudget } from '../../src/cxone/account.ts';
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
    expect(errorForStatus(422, 'smsSend', {}).code).toBe(ErrorCode.CxoneBadRequest);
    expect(errorForStatus(404, 'smsSend', {}).code).toBe(ErrorCode.CxoneNotFound);
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
    expect(classifyError(new PermanentError('x', { code: 'CXONE_BAD_REQUEST' }))).toEqual({ kind: 'unrecoverable', code: 'CXONE_BAD_REQUEST' });
    expect(classifyError(new TransientError('x', { code: 'CXONE_TIMEOUT' }))).toEqual({ kind: 'retry', code: 'CXONE_TIMEOUT' });
    expect(classifyError(new Error('bug'))).toEqual({ kind: 'retry', code: 'UNEXPECTED' });
  });
});

describe('limiter budget', () => {
  const base = { rps: 200, rpsConfigured: true, headroom: 0.03, burst: 1, maxWaitMs: 2000, adaptive: undefined, backoff: { baseMs: 2000, capMs: 60_000, quietMs: 10_000 } };

  it('keeps the headroom under the per-second limit, evenly spaced', () => {
    const b = limiterBudget({ ...base, perMin: undefined, perHour: undefined });
    expect(b.rps).toBeCloseTo(194, 9);
    expect(b.burst).toBe(1);
    expect(b.minIntervalMs).toBe(0);
  });

  it('lowers the rate by the burst, so rate + burst - 1 still fits in a second', () => {
    const b = limiterBudget({ ...base, burst: 10, perMin: undefined, perHour: undefined });
    expect(b.rps + b.burst - 1).toBeLessThanOrEqual(200 * 0.97 + 1e-9);
    // A burst as large as the limit cannot take more than half the rate.
    expect(limiterBudget({ ...base, burst: 500, perMin: undefined, perHour: undefined }).rps).toBeCloseTo(97, 9);
  });

  it('turns per-minute and per-hour budgets into a least spacing, the tighter one winning', () => {
    const perMin = limiterBudget({ ...base, perMin: 6000, perHour: undefined });
    expect(60_000 / perMin.minIntervalMs).toBeCloseTo(6000 * 0.97, 6);
    const perHour = limiterBudget({ ...base, perMin: 6000, perHour: 90_000 });
    expect(3_600_000 / perHour.minIntervalMs).toBeCloseTo(90_000 * 0.97, 6);
  });

  it('uses the adaptive ceiling as it is when no per-second rate is configured', () => {
    const b = limiterBudget({ ...base, rps: 1000, rpsConfigured: false, perMin: undefined, perHour: undefined });
    expect(b.rps).toBe(1000);
  });
});
