import { describe, it, expect } from 'vitest';
import { normalizePhone } from '../../src/domain/sms/phone.ts';

describe('normalizePhone: valid numbers', () => {
  it.each([
    // [input, default region, E.164]
    ['+12133734253', undefined, '+12133734253'],
    ['+1 (213) 373-4253', undefined, '+12133734253'],
    ['(213) 373-4253', 'US', '+12133734253'],
    ['213.373.4253', 'US', '+12133734253'],
    ['+447400123456', undefined, '+447400123456'],
    ['+44 7911 123456', undefined, '+447911123456'],
    ['07911 123456', 'GB', '+447911123456'],
    ['+44 (0) 7911 123456', undefined, '+447911123456'],
    ['0044 7911 123456', 'GB', '+447911123456'],
    ['020 7946 0958', 'GB', '+442079460958'],
    ['+49 151 23456789', undefined, '+4915123456789'],
    ['0151 23456789', 'DE', '+4915123456789'],
    ['  +49-151-23456789  ', undefined, '+4915123456789'],
  ])('%j (region %s) -> %s', (input, region, e164) => {
    expect(normalizePhone(input, region)).toEqual({ ok: true, e164 });
  });

  it('keeps E.164 input in its own country whatever the default region', () => {
    expect(normalizePhone('+4915123456789', 'US')).toEqual({ ok: true, e164: '+4915123456789' });
  });

  it('accepts fixed-line numbers, since many are SMS-capable through providers', () => {
    expect(normalizePhone('030 123456', 'DE')).toEqual({ ok: true, e164: '+4930123456' });
    expect(normalizePhone('+442079460958')).toEqual({ ok: true, e164: '+442079460958' });
  });

  it('accepts a lower-case default region', () => {
    expect(normalizePhone('07911 123456', 'gb')).toEqual({ ok: true, e164: '+447911123456' });
  });
});

describe('normalizePhone: rejections with specific reasons', () => {
  it.each([
    ['garbage', 'US', 'not a phone number'],
    ['garbage', undefined, 'not a phone number'],
    ['+', undefined, 'not a phone number'],
    ['+ ', undefined, 'not a phone number'],
    ['++447911123456', undefined, 'not a phone number'],
    ['call +12133734253 now', undefined, 'not a phone number'],
    ['1-800-FLOWERS', 'US', 'not a phone number'],
    ['', 'US', 'empty'],
    ['   ', undefined, 'empty'],
    ['12', 'US', 'too short'],
    ['+1', undefined, 'too short'],
    ['+1213', undefined, 'too short'],
    ['+44 7911 1234567', undefined, 'too long'],
    ['+1' + '5'.repeat(80), undefined, 'too long'],
    ['555 010 0000', 'US', 'invalid number for region US'],
    ['07700 900123', 'GB', 'invalid number for region GB'],
    ['+4915123', undefined, 'invalid number for region DE'],
    ['+1 555 010 0000', undefined, 'invalid number for country calling code +1'],
    ['+999 1234567', undefined, 'unknown country calling code'],
    ['0151 23456789', undefined, 'not in international format (+country code) and no default region given'],
    ['0151 23456789', 'ZZ', 'unknown default region "ZZ"'],
    ['+1 213 373 4253 ext. 12', undefined, 'has an extension, which cannot receive SMS'],
  ])('%j (region %s) -> %s', (input, region, reason) => {
    expect(normalizePhone(input, region)).toEqual({ ok: false, reason });
  });

  it('never throws, even on non-string input from untyped callers', () => {
    for (const bad of [undefined, null, 42, {}, [], Symbol('x')]) {
      expect(normalizePhone(bad as string, 'US')).toEqual({ ok: false, reason: 'not a phone number' });
    }
    expect(normalizePhone('\u0000\uFFFF\uD800', 'US').ok).toBe(false);
  });
});

describe('normalizePhone: input that could misdirect a message', () => {
  it.each([
    ['＋447911123456', 'DE', '+447911123456'], // fullwidth plus: international, not German
    ['＋４４７９１１１２３４５６', 'DE', '+447911123456'], // fullwidth digits too
    ['﹢44 7911 123456', 'DE', '+447911123456'], // small plus sign
    ['+٤٤٧٩١١١٢٣٤٥٦', 'DE', '+447911123456'], // Arabic-Indic digits
    ['+४४७९११ १२३४५६', undefined, '+447911123456'], // Devanagari digits
    ['14155550100', 'US', '+14155550100'], // both readings are the same number
    ['4152000002', 'US', '+14152000002'], // valid only in the region
    ['07911 123456', 'GB', '+447911123456'], // a trunk prefix is never international
    ['00447911123456', 'DE', '+447911123456'], // the region's international prefix
  ])('%j (region %s) is read as %s', (input, region, e164) => {
    expect(normalizePhone(input, region)).toEqual({ ok: true, e164 });
  });

  it('refuses a number without "+" that is valid both in the region and as international, naming both', () => {
    expect(normalizePhone('447911123456', 'DE')).toEqual({
      ok: false,
      reason: 'ambiguous: +49447911123456 in region DE or +447911123456 as an international number; write it with "+" and the country code',
    });
    expect(normalizePhone('44 7911 123456', 'DE').ok).toBe(false);
  });

  it('does not guess an international reading for a number invalid in the region, but suggests it', () => {
    const r = normalizePhone('447911123456', 'US');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/if it is international, write it as \+447911123456$/);
  });
});
