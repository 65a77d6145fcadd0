import { describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER, verifySignature } from '../../src/webhook-signature.ts';

const body = Buffer.from('{"messageId":"m1","status":"delivered"}');
const now = 1_800_000_000_000;

function verify(headers: Record<string, string | undefined>, secrets = ['s1'], raw = body) {
  return verifySignature({ secrets, timestampHeader: headers[TIMESTAMP_HEADER], signatureHeader: headers[SIGNATURE_HEADER], rawBody: raw, toleranceS: 300, nowMs: now });
}

describe('webhook signatures', () => {
  it('accepts its own signature and any active secret during rotation', () => {
    expect(verify(signWebhook('s1', body, now))).toEqual({ ok: true });
    expect(verify(signWebhook('old', body, now), ['new', 'old'])).toEqual({ ok: true });
  });
  it('refuses a changed body, another secret, a stale timestamp, missing or malformed headers', () => {
    expect(verify(signWebhook('s1', body, now), ['s1'], Buffer.from('{}'))).toEqual({ ok: false, reason: 'mismatch' });
    expect(verify(signWebhook('s2', body, now))).toEqual({ ok: false, reason: 'mismatch' });
    expect(verify(signWebhook('s1', body, now - 301_000))).toEqual({ ok: false, reason: 'stale' });
    expect(verify(signWebhook('s1', body, now + 301_000))).toEqual({ ok: false, reason: 'stale' });
    expect(verify({})).toEqual({ ok: false, reason: 'missing' });
    expect(verify({ [TIMESTAMP_HEADER]: 'abc', [SIGNATURE_HEADER]: 'v1=00' })).toEqual({ ok: false, reason: 'malformed' });
    expect(verify({ [TIMESTAMP_HEADER]: String(now / 1000), [SIGNATURE_HEADER]: 'v1=zz' })).toEqual({ ok: false, reason: 'malformed' });
  });
});
