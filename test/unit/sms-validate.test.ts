import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { validateSmsInput } from '../../src/domain/sms/validate-message.ts';
import type { SmsValidationContext, SmsValidationResult } from '../../src/domain/sms/validate-message.ts';
import { smsSendPayload } from '../../src/queues/payloads.ts';

const ctx: SmsValidationContext = { defaultRegion: 'GB', maxSegments: 3 };
const withDefaults: SmsValidationContext = { ...ctx, defaults: { from: 'ACME', campaignId: 'camp-1' } };
const base = { to: '+447911123456', text: 'Your code is 1234', from: 'ACME', campaignId: 'camp-1' };

function reasonsOf(r: SmsValidationResult): Array<{ field: string; message: string }> {
  if (r.ok) throw new Error(`expected a failure, got ${JSON.stringify(r.message)}`);
  return r.reasons;
}

function fieldsOf(r: SmsValidationResult): string[] {
  return reasonsOf(r).map((x) => x.field);
}

describe('validateSmsInput: valid rows', () => {
  it('returns the normalised message with encoding and segments', () => {
    expect(validateSmsInput(base, ctx)).toEqual({
      ok: true,
      message: {
        to: '+447911123456',
        text: 'Your code is 1234',
        from: 'ACME',
        campaignId: 'camp-1',
        priority: 'bulk',
        encoding: 'GSM-7',
        segments: 1,
      },
    });
  });

  it('reads national numbers in the default region and keeps text byte-for-byte', () => {
    const r = validateSmsInput({ ...base, to: '07911 123456', text: '  Hi €\n' }, ctx);
    expect(r).toMatchObject({ ok: true, message: { to: '+447911123456', text: '  Hi €\n', segments: 1 } });
  });

  it('applies defaults for missing, blank (CSV) and null (JSON) from/campaignId', () => {
    for (const row of [
      { to: base.to, text: base.text },
      { to: base.to, text: base.text, from: '', campaignId: '   ' },
      { to: base.to, text: base.text, from: null, campaignId: null },
    ]) {
      expect(validateSmsInput(row, withDefaults)).toMatchObject({ ok: true, message: { from: 'ACME', campaignId: 'camp-1' } });
    }
  });

  it('prefers the row over the defaults', () => {
    const r = validateSmsInput({ ...base, from: 'OTHER', campaignId: 'camp-2' }, withDefaults);
    expect(r).toMatchObject({ ok: true, message: { from: 'OTHER', campaignId: 'camp-2' } });
  });

  it('accepts numeric ids and short codes from JSON', () => {
    const r = validateSmsInput({ ...base, from: 12345, campaignId: 987, ref: 42 }, ctx);
    expect(r).toMatchObject({ ok: true, message: { from: '12345', campaignId: '987', ref: '42' } });
  });

  it('passes ref through and omits absent optional fields', () => {
    const r = validateSmsInput({ ...base, ref: 'order-42.a:b_C' }, ctx);
    expect(r).toMatchObject({ ok: true, message: { ref: 'order-42.a:b_C' } });
    const plain = validateSmsInput({ ...base, ref: '', sendAt: '' }, ctx);
    expect(plain.ok && Object.keys(plain.message)).not.toContain('ref');
    expect(plain.ok && Object.keys(plain.message)).not.toContain('sendAt');
  });

  it.each([
    ['2025-03-07T09:30:00Z', Date.UTC(2025, 2, 7, 9, 30)],
    ['2025-03-07T09:30:00.250Z', Date.UTC(2025, 2, 7, 9, 30, 0, 250)],
    ['2025-03-07T10:30:00+01:00', Date.UTC(2025, 2, 7, 9, 30)],
    ['2025-03-07T09:30Z', Date.UTC(2025, 2, 7, 9, 30)],
    [1_741_339_800_000, 1_741_339_800_000],
    ['1741339800000', 1_741_339_800_000],
  ])('parses sendAt %j', (sendAt, expected) => {
    expect(validateSmsInput({ ...base, sendAt }, ctx)).toMatchObject({ ok: true, message: { sendAt: expected } });
  });

  it.each([
    ['otp', 'otp'],
    ['transactional', 'transactional'],
    ['bulk', 'bulk'],
    [' OTP ', 'otp'],
    ['', 'bulk'],
    [undefined, 'bulk'],
  ])('parses priority %j', (priority, expected) => {
    expect(validateSmsInput({ ...base, priority }, ctx)).toMatchObject({ ok: true, message: { priority: expected } });
  });

  it('ignores unknown fields', () => {
    const r = validateSmsInput({ ...base, name: 'Ann', extra: { nested: true } }, ctx);
    expect(r.ok).toBe(true);
    expect(r.ok && Object.keys(r.message)).not.toContain('name');
  });

  it('reports UCS-2 and the segment count', () => {
    const r = validateSmsInput({ ...base, text: 'Привет! '.repeat(10) }, ctx);
    expect(r).toMatchObject({ ok: true, message: { encoding: 'UCS-2', segments: 2 } });
  });

  it('accepts exactly maxSegments segments', () => {
    expect(validateSmsInput({ ...base, text: 'a'.repeat(153 * 3) }, ctx)).toMatchObject({ ok: true, message: { segments: 3 } });
  });

  it('produces a message that fits the queue payload schema', () => {
    const r = validateSmsInput({ ...base, priority: 'otp' }, ctx);
    if (!r.ok) throw new Error('expected ok');
    const { ref: _ref, sendAt: _sendAt, ...m } = r.message;
    const payload = {
      ...m,
      accountId: 'acc',
      batchId: 'b1',
      messageId: 'm1',
      idempotencyKey: 'k1',
      notAfter: 1,
    };
    expect(smsSendPayload.safeParse(payload).success).toBe(true);
  });
});

describe('validateSmsInput: problems', () => {
  it('reports every problem of the row at once, each naming its field', () => {
    const r = validateSmsInput(
      { to: 'nope', text: '', ref: 'bad ref!', sendAt: 'tomorrow', priority: 'urgent' },
      { ...ctx, defaults: {} },
    );
    expect(reasonsOf(r)).toEqual([
      { field: 'to', message: 'not a phone number' },
      { field: 'text', message: 'must not be empty' },
      { field: 'from', message: 'is required (no default sender configured)' },
      { field: 'campaignId', message: 'is required (no default campaign configured)' },
      { field: 'ref', message: 'may contain only letters, digits and . _ : -' },
      {
        field: 'sendAt',
        message: 'must be an ISO 8601 date-time with a zone (e.g. 2025-03-07T09:30:00Z) or epoch milliseconds',
      },
      { field: 'priority', message: 'must be one of otp, transactional, bulk' },
    ]);
  });

  it('says which required fields are missing', () => {
    expect(reasonsOf(validateSmsInput({}, ctx))).toEqual([
      { field: 'to', message: 'is required' },
      { field: 'text', message: 'is required' },
      { field: 'from', message: 'is required (no default sender configured)' },
      { field: 'campaignId', message: 'is required (no default campaign configured)' },
    ]);
  });

  it('reports wrong types', () => {
    const r = validateSmsInput({ to: 447911123456, text: ['hi'], from: true, campaignId: { id: 1 } }, ctx);
    expect(reasonsOf(r)).toEqual([
      { field: 'to', message: 'must be a string' },
      { field: 'text', message: 'must be a string' },
      { field: 'from', message: 'must be a string' },
      { field: 'campaignId', message: 'must be a string' },
    ]);
  });

  it.each([
    ['07911 12345', 'invalid number for region GB'],
    ['+1 555 010 0000', 'invalid number for country calling code +1'],
    ['12', 'too short'],
    ['+', 'not a phone number'],
    ['', 'is required'],
  ])('rejects to %j: %s', (to, message) => {
    expect(reasonsOf(validateSmsInput({ ...base, to }, ctx))).toEqual([{ field: 'to', message }]);
  });

  it('reads national numbers only in the configured region', () => {
    expect(validateSmsInput({ ...base, to: '(213) 373-4253' }, ctx).ok).toBe(false);
    expect(validateSmsInput({ ...base, to: '(213) 373-4253' }, { ...ctx, defaultRegion: 'US' })).toMatchObject({
      ok: true,
      message: { to: '+12133734253' },
    });
  });

  it('rejects whitespace-only text and unpaired surrogates', () => {
    expect(reasonsOf(validateSmsInput({ ...base, text: ' \n ' }, ctx))).toEqual([
      { field: 'text', message: 'must not be empty' },
    ]);
    expect(reasonsOf(validateSmsInput({ ...base, text: 'hi \uD83D' }, ctx))).toEqual([
      { field: 'text', message: 'contains invalid Unicode (an unpaired surrogate)' },
    ]);
  });

  it('rejects one segment over the limit (GSM-7)', () => {
    expect(reasonsOf(validateSmsInput({ ...base, text: 'a'.repeat(153 * 3 + 1) }, ctx))).toEqual([
      { field: 'text', message: 'needs 4 segments (460 septets as GSM-7); at most 3 allowed' },
    ]);
  });

  it('names the characters that forced UCS-2 when over the limit', () => {
    // 210 units > 3 * 67 = 201; as GSM-7 the same text would fit 2 segments.
    const text = 'a'.repeat(209) + '\u2019';
    const reasons = reasonsOf(validateSmsInput({ ...base, text }, ctx));
    expect(reasons).toEqual([
      { field: 'text', message: 'needs 4 segments (210 UTF-16 units as UCS-2); at most 3 allowed; UCS-2 is forced by "’"' },
    ]);
  });

  it('caps the list of offending characters', () => {
    const text = Array.from({ length: 300 }, (_, i) => String.fromCharCode(0x4e00 + i)).join('');
    const [reason] = reasonsOf(validateSmsInput({ ...base, text }, ctx));
    expect(reason?.message).toMatch(/and 290 more$/);
  });

  it('rejects a single-segment text when maxSegments is 0', () => {
    expect(reasonsOf(validateSmsInput(base, { ...ctx, maxSegments: 0 }))).toEqual([
      { field: 'text', message: 'needs 1 segment (17 septets as GSM-7); at most 0 allowed' },
    ]);
  });

  it('checks from, campaignId and ref lengths', () => {
    const r = validateSmsInput({ ...base, from: 'x'.repeat(33), campaignId: 'c'.repeat(201), ref: 'r'.repeat(129) }, ctx);
    expect(reasonsOf(r)).toEqual([
      { field: 'from', message: 'must be at most 32 characters' },
      { field: 'campaignId', message: 'must be at most 200 characters' },
      { field: 'ref', message: 'must be at most 128 characters' },
    ]);
    expect(validateSmsInput({ ...base, ref: 'r'.repeat(128) }, ctx).ok).toBe(true);
  });

  it('checks defaults like row values', () => {
    const r = validateSmsInput({ to: base.to, text: base.text }, { ...ctx, defaults: { from: 'x'.repeat(40), campaignId: 'c' } });
    expect(reasonsOf(r)).toEqual([{ field: 'from', message: 'must be at most 32 characters' }]);
  });

  it.each([
    ['2025-03-07T09:30:00', 'zoneless'],
    ['2025-03-07', 'date only'],
    ['2025-02-30T00:00:00Z', 'impossible date'],
    ['07/03/2025 09:30', 'locale format'],
    [1.5e12 + 0.5, 'fractional epoch'],
    [true, 'boolean'],
  ])('rejects sendAt %j (%s)', (sendAt, _why) => {
    expect(fieldsOf(validateSmsInput({ ...base, sendAt }, ctx))).toEqual(['sendAt']);
  });

  it('catches epoch seconds given as sendAt', () => {
    expect(reasonsOf(validateSmsInput({ ...base, sendAt: 1_741_339_800 }, ctx))).toEqual([
      { field: 'sendAt', message: 'looks like epoch seconds; epoch milliseconds expected' },
    ]);
  });

  it('accepts a past ISO sendAt (send now) without the epoch-seconds hint', () => {
    expect(validateSmsInput({ ...base, sendAt: '1999-12-31T23:59:59Z' }, ctx)).toMatchObject({
      ok: true,
      message: { sendAt: Date.UTC(1999, 11, 31, 23, 59, 59) },
    });
    expect(reasonsOf(validateSmsInput({ ...base, sendAt: '1741339800' }, ctx))).toEqual([
      { field: 'sendAt', message: 'looks like epoch seconds; epoch milliseconds expected' },
    ]);
  });

  it('rejects an out-of-range sendAt', () => {
    expect(reasonsOf(validateSmsInput({ ...base, sendAt: 9e15 }, ctx))).toEqual([
      { field: 'sendAt', message: 'is out of range' },
    ]);
  });

  it.each([[null], [undefined], ['a,b,c'], [42], [[base]]])('rejects non-object input %j', (input) => {
    expect(reasonsOf(validateSmsInput(input, ctx))).toEqual([
      { field: 'input', message: 'must be an object with fields to, text, ...' },
    ]);
  });

  it('does not read fields through the prototype', () => {
    const row = Object.create(base) as object;
    expect(fieldsOf(validateSmsInput(row, ctx))).toEqual(['to', 'text', 'from', 'campaignId']);
  });

  it('never throws, even on a hostile object', () => {
    const boom = (): never => {
      throw new Error('boom');
    };
    const hostile = new Proxy({}, { get: boom, has: boom, getOwnPropertyDescriptor: boom });
    expect(validateSmsInput(hostile, ctx)).toEqual({ ok: false, reasons: [{ field: 'input', message: 'could not be read' }] });
    fc.assert(
      fc.property(fc.anything(), (input) => {
        const r = validateSmsInput(input, ctx);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.record({ to: fc.anything(), text: fc.anything(), from: fc.anything(), campaignId: fc.anything(), ref: fc.anything(), sendAt: fc.anything(), priority: fc.anything() }, { requiredKeys: [] }),
        (row) => {
          const r = validateSmsInput(row, ctx);
          if (!r.ok) expect(r.reasons.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
