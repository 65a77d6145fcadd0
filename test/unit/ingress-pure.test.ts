// The ingress's pure helpers (no I/O): masking, event and job ids, admin credentials,
// OpenAPI paths.
import { describe, expect, it } from 'vitest';
import { checkAdminAuthorization } from '../../src/ingress/admin-auth.ts';
import { maskJobData, maskPhone, maskPhonesInText } from '../../src/mask.ts';
import { toOpenApiPath } from '../../src/ingress/openapi.ts';
import { excerptOf, EXCERPT_BYTES } from '../../src/ingress/rejections.ts';
import { requestIdOf } from '../../src/ingress/request-id.ts';
import { canonicalJson, eventIdOf, jobIdOf } from '../../src/ingress/webhook-kinds.ts';

describe('masking', () => {
  it('keeps + and the last two digits of phone numbers, and only the length of texts', () => {
    expect(maskPhone('+15551234567')).toBe('+*********67');
    const masked = maskJobData({
      to: '+447700900123',
      recipients: ['+15551230001', '+15551230002'],
      from: 'ACME',
      text: 'héllo 👋',
      recipient: 'jane.doe@example.com',
      nested: { phone: '0044 7700 900123', note: 'call +33612345678' },
      count: 3,
    });
    expect(masked).toEqual({
      to: '+**********23',
      recipients: ['+*********01', '+*********02'],
      from: 'ACME',
      text: '[7 chars]',
      recipient: 'j***@example.com',
      nested: { phone: '************23', note: 'call +*********78' },
      count: 3,
    });
    expect(maskPhonesInText('{"to":"+15557654321","messageId":"m-1","timestamp":"2025-11-23T10:00:00Z"}')).toBe(
      '{"to":"+*********21","messageId":"m-1","timestamp":"2025-11-23T10:00:00Z"}',
    );
  });

  it('bounds rejection excerpts', () => {
    expect(Buffer.byteLength(excerptOf(Buffer.alloc(10_000, 'a')))).toBe(EXCERPT_BYTES);
    expect(excerptOf(undefined)).toBe('');
  });
});

describe('event and job ids', () => {
  it('uses the event id, else a content hash independent of key order', () => {
    expect(eventIdOf({ eventId: 'e-1', id: 'x' })).toBe('e-1');
    expect(eventIdOf({ id: 42 })).toBe('42');
    const a = eventIdOf({ messageId: 'm', status: 'sent', nested: { b: 1, a: [1, { y: 2, x: 1 }] } });
    const b = eventIdOf({ nested: { a: [1, { x: 1, y: 2 }], b: 1 }, status: 'sent', messageId: 'm' });
    expect(a).toBe(b);
    expect(a).toMatch(/^sha256-[0-9a-f]{64}$/);
    expect(canonicalJson({ b: [2, 1], a: null })).toBe('{"a":null,"b":[2,1]}');
  });

  it('never makes a job id BullMQ refuses (an integer, or containing ":")', () => {
    expect(jobIdOf('sms-status', '12345')).toBe('sms-status-12345');
    expect(jobIdOf('sms-status', 'urn:evt:1')).toMatch(/^sms-status-h[0-9a-f]{64}$/);
    expect(jobIdOf('sms-status', 'a'.repeat(200))).toMatch(/^sms-status-h[0-9a-f]{64}$/);
    expect(jobIdOf('sms-status', 'ok_id-1.2')).toBe('sms-status-ok_id-1.2');
  });
});

describe('admin credentials', () => {
  const admin = { user: 'admin', password: 'p:w', token: 'tok' };
  const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
  it('accepts basic or bearer, refuses anything else', () => {
    expect(checkAdminAuthorization(basic('admin:p:w'), admin)).toBe(true);
    expect(checkAdminAuthorization('bearer tok', admin)).toBe(true);
    for (const h of [undefined, '', 'Bearer', 'Bearer tok2', basic('admin:p'), basic('admin'), basic('root:p:w'), 'Digest x', 'Basic ###']) {
      expect(checkAdminAuthorization(h, admin), String(h)).toBe(false);
    }
    expect(checkAdminAuthorization('Bearer tok', { user: 'a', password: 'b', token: undefined })).toBe(false);
    expect(checkAdminAuthorization(basic('a:b'), { user: undefined, password: undefined, token: 'tok' })).toBe(false);
  });
});

describe('small helpers', () => {
  it('converts Express paths to OpenAPI ones and keeps sane request ids only', () => {
    expect(toOpenApiPath('/sms/batches/:id/items/:itemId')).toBe('/sms/batches/{id}/items/{itemId}');
    expect(requestIdOf('abc-123')).toBe('abc-123');
    expect(requestIdOf('has space')).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdOf(['a', 'b'])).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdOf('x'.repeat(129))).toMatch(/^[0-9a-f-]{36}$/);
  });
});
