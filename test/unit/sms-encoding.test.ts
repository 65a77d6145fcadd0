import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  analyzeSms,
  splitSms,
  GSM7_BASIC_CHARS,
  GSM7_EXTENSION_CHARS,
  SMS_SEGMENT_LIMITS,
} from '../../src/domain/sms/encoding.ts';

const EMOJI = '😀'; // U+1F600: one code point, two UTF-16 units
const CJK = '中'; // BMP, one unit, not GSM

/** Septets of a GSM-7-only string (analyzeSms reports septets when the text is GSM-7). */
function septets(part: string): number {
  const a = analyzeSms(part);
  expect(a.encoding).toBe('GSM-7');
  return a.units;
}

describe('GSM 03.38 tables', () => {
  it('has the 127 basic characters (128 minus ESC) and 10 extension characters, all distinct', () => {
    expect([...GSM7_BASIC_CHARS]).toHaveLength(127);
    expect(new Set(GSM7_BASIC_CHARS).size).toBe(127);
    expect([...GSM7_EXTENSION_CHARS]).toHaveLength(10);
    for (const c of GSM7_EXTENSION_CHARS) expect(GSM7_BASIC_CHARS).not.toContain(c);
  });

  it('treats every basic character as one septet', () => {
    for (const c of GSM7_BASIC_CHARS) {
      expect(analyzeSms(c), JSON.stringify(c)).toMatchObject({ encoding: 'GSM-7', units: 1, segments: 1 });
    }
  });

  it('treats every extension character as two septets', () => {
    for (const c of GSM7_EXTENSION_CHARS) {
      expect(analyzeSms(c), JSON.stringify(c)).toMatchObject({ encoding: 'GSM-7', units: 2, segments: 1 });
    }
  });

  it('includes the listed specials exactly, with real Greek capitals', () => {
    const text = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ ÆæßÉ!"#¤%&\'()*+,-./0123456789:;<=>?¡ÄÖÑÜ§¿äöñüà';
    expect(analyzeSms(text)).toMatchObject({ encoding: 'GSM-7', units: [...text].length, nonGsmChars: [] });
  });

  it.each([
    ['ç (lower-case; only Ç is in the table)', 'ç'],
    ['Ω the Ohm sign, a look-alike of Greek Omega', '\u2126'],
    ['tab', '\t'],
    ['ESC itself', '\u001b'],
    ['curly apostrophe', '\u2019'],
    ['backtick', '`'],
    ['á', 'á'],
    ['ô', 'ô'],
  ])('rejects %s', (_name, c) => {
    expect(analyzeSms(c)).toMatchObject({ encoding: 'UCS-2', nonGsmChars: [c] });
  });
});

describe('analyzeSms: GSM-7', () => {
  it('returns zero segments for empty text', () => {
    expect(analyzeSms('')).toEqual({ encoding: 'GSM-7', units: 0, segments: 0, perSegment: 160, nonGsmChars: [] });
    expect(splitSms('')).toEqual([]);
  });

  it('fits 160 septets in one segment and needs two for 161', () => {
    expect(analyzeSms('a'.repeat(160))).toEqual({
      encoding: 'GSM-7',
      units: 160,
      segments: 1,
      perSegment: 160,
      nonGsmChars: [],
    });
    expect(analyzeSms('a'.repeat(161))).toMatchObject({ units: 161, segments: 2, perSegment: 153 });
    expect(splitSms('a'.repeat(161)).map((p) => p.length)).toEqual([153, 8]);
  });

  it('fits 153*2 septets in two parts and needs three for one more', () => {
    expect(analyzeSms('a'.repeat(306))).toMatchObject({ segments: 2 });
    expect(splitSms('a'.repeat(306)).map((p) => p.length)).toEqual([153, 153]);
    expect(analyzeSms('a'.repeat(307))).toMatchObject({ segments: 3 });
    expect(splitSms('a'.repeat(307)).map((p) => p.length)).toEqual([153, 153, 1]);
  });

  it("counts '€' alone as GSM-7 with two septets", () => {
    expect(analyzeSms('€')).toEqual({ encoding: 'GSM-7', units: 2, segments: 1, perSegment: 160, nonGsmChars: [] });
  });

  it('counts extension characters against the single-segment limit', () => {
    expect(analyzeSms('a'.repeat(158) + '€')).toMatchObject({ units: 160, segments: 1 });
    expect(analyzeSms('a'.repeat(159) + '€')).toMatchObject({ units: 161, segments: 2 });
    expect(analyzeSms('{}'.repeat(80))).toMatchObject({ units: 320, segments: 3 });
  });

  it('never splits an escape sequence: 152 basic + € moves the € to part 2', () => {
    const text = 'a'.repeat(152) + '€' + 'b'.repeat(10);
    const parts = splitSms(text);
    expect(parts).toEqual(['a'.repeat(152), '€' + 'b'.repeat(10)]);
    expect(parts.map(septets)).toEqual([152, 12]);
    expect(analyzeSms(text)).toMatchObject({ units: 164, segments: 2 });
  });

  it('keeps an extension character that fits exactly at the end of a part', () => {
    const text = 'a'.repeat(151) + '€' + 'b'.repeat(10);
    expect(splitSms(text)).toEqual(['a'.repeat(151) + '€', 'b'.repeat(10)]);
  });

  it('needs an extra segment when boundary shifts add up', () => {
    // 152 + € (2) + 150 + € (2) = 306 septets, which would fit 2*153 if escapes could
    // split, but each € is pushed forward, so a third part is needed.
    const text = 'a'.repeat(152) + '€' + 'b'.repeat(150) + '€';
    expect(analyzeSms(text)).toMatchObject({ units: 306, segments: 3 });
    const parts = splitSms(text);
    expect(parts).toHaveLength(3);
    expect(parts.join('')).toBe(text);
    for (const p of parts) expect(septets(p)).toBeLessThanOrEqual(153);
  });

  it('treats \\n and \\r as basic and form feed as extension', () => {
    expect(analyzeSms('a\nb\r')).toMatchObject({ encoding: 'GSM-7', units: 4 });
    expect(analyzeSms('\f')).toMatchObject({ encoding: 'GSM-7', units: 2 });
  });
});

describe('analyzeSms: UCS-2', () => {
  it('fits 70 units in one segment and needs two for 71', () => {
    expect(analyzeSms(CJK.repeat(70))).toEqual({
      encoding: 'UCS-2',
      units: 70,
      segments: 1,
      perSegment: 70,
      nonGsmChars: [CJK],
    });
    expect(analyzeSms(CJK.repeat(71))).toMatchObject({ units: 71, segments: 2, perSegment: 67 });
    expect(splitSms(CJK.repeat(71)).map((p) => p.length)).toEqual([67, 4]);
  });

  it('fits 67*2 units in two parts and needs three for one more', () => {
    expect(analyzeSms(CJK.repeat(134))).toMatchObject({ segments: 2 });
    expect(analyzeSms(CJK.repeat(135))).toMatchObject({ segments: 3 });
  });

  it('lets one non-GSM character force UCS-2 on the whole text', () => {
    const text = 'Hello world, your code is 1234 ' + CJK;
    expect(analyzeSms(text)).toMatchObject({ encoding: 'UCS-2', units: text.length, nonGsmChars: [CJK] });
    // 70 ASCII fits one GSM-7 segment, but one curly quote makes it two UCS-2 segments.
    const quoted = 'a'.repeat(70) + '\u2019';
    expect(analyzeSms(quoted)).toMatchObject({ encoding: 'UCS-2', units: 71, segments: 2 });
  });

  it('counts an emoji as two units', () => {
    expect(analyzeSms(EMOJI)).toEqual({ encoding: 'UCS-2', units: 2, segments: 1, perSegment: 70, nonGsmChars: [EMOJI] });
    expect(analyzeSms(EMOJI.repeat(35))).toMatchObject({ units: 70, segments: 1 });
    expect(analyzeSms(EMOJI.repeat(35) + 'a')).toMatchObject({ units: 71, segments: 2 });
  });

  it('never splits a surrogate pair: an emoji straddling unit 67 moves whole to the next part', () => {
    const text = CJK.repeat(66) + EMOJI + CJK.repeat(10);
    const parts = splitSms(text);
    expect(parts).toEqual([CJK.repeat(66), EMOJI + CJK.repeat(10)]);
    expect(parts.map((p) => p.length)).toEqual([66, 12]);
    expect(analyzeSms(text)).toMatchObject({ units: 78, segments: 2 });
  });

  it('keeps an emoji that ends exactly on unit 67', () => {
    const text = CJK.repeat(65) + EMOJI + CJK.repeat(10);
    expect(splitSms(text)).toEqual([CJK.repeat(65) + EMOJI, CJK.repeat(10)]);
  });

  it('needs an extra segment when surrogate pairs shift the boundary', () => {
    // 67 emoji = 134 units = exactly 2*67, but 67 is odd so each part holds 33 emoji.
    expect(analyzeSms(EMOJI.repeat(67))).toMatchObject({ units: 134, segments: 3 });
    expect(splitSms(EMOJI.repeat(67)).map((p) => p.length)).toEqual([66, 66, 2]);
  });

  it('reports distinct offending characters in order of first use, whole code points', () => {
    expect(analyzeSms(`x${EMOJI}y${CJK}${EMOJI}\u2019${CJK}`).nonGsmChars).toEqual([EMOJI, CJK, '\u2019']);
  });

  it('treats a lone surrogate as one splittable unit (never a pair)', () => {
    const lone = '\uD83D';
    expect(analyzeSms(lone)).toMatchObject({ encoding: 'UCS-2', units: 1, nonGsmChars: [lone] });
    const text = CJK.repeat(66) + lone + CJK.repeat(5);
    expect(splitSms(text).map((p) => p.length)).toEqual([67, 5]);
  });
});

describe('long texts', () => {
  it('handles a megabyte quickly (linear)', () => {
    const gsm = 'Hello {world} € '.repeat(65_536); // 1 MiB of code units
    const ucs = (CJK + EMOJI).repeat(350_000);
    const started = performance.now();
    const a = analyzeSms(gsm);
    const parts = splitSms(gsm);
    const b = analyzeSms(ucs);
    const partsU = splitSms(ucs);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(parts).toHaveLength(a.segments);
    expect(partsU).toHaveLength(b.segments);
    expect(parts.join('')).toBe(gsm);
  });
});

// Characters weighted towards the interesting cases: basic, extension, BMP non-GSM,
// astral (surrogate pairs), and the odd lone surrogate.
const smsChar = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...GSM7_BASIC_CHARS) },
  { weight: 2, arbitrary: fc.constantFrom(...GSM7_EXTENSION_CHARS) },
  { weight: 1, arbitrary: fc.constantFrom(CJK, '\u2019', 'ç', '\t') },
  { weight: 1, arbitrary: fc.constantFrom(EMOJI, '𝄞', '👍🏽') },
  { weight: 1, arbitrary: fc.constantFrom('\uD83D', '\uDE00') },
);
const gsmOnlyChar = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...GSM7_BASIC_CHARS) },
  { weight: 1, arbitrary: fc.constantFrom(...GSM7_EXTENSION_CHARS) },
);
const textOf = (ch: fc.Arbitrary<string>) => fc.array(ch, { maxLength: 600 }).map((cs) => cs.join(''));

function checkInvariants(text: string): void {
  const a = analyzeSms(text);
  const parts = splitSms(text);
  expect(parts).toHaveLength(a.segments);
  expect(parts.join('')).toBe(text);
  const limits = SMS_SEGMENT_LIMITS[a.encoding];
  expect(a.perSegment).toBe(a.segments > 1 ? limits.concatenated : limits.single);
  for (const p of parts) {
    expect(p.length).toBeGreaterThan(0);
    const size = a.encoding === 'GSM-7' ? septets(p) : p.length;
    expect(size).toBeLessThanOrEqual(a.perSegment);
  }
  for (let i = 1; i < parts.length; i++) {
    const prev = parts[i - 1] ?? '';
    const next = parts[i] ?? '';
    const highAtEnd = /[\uD800-\uDBFF]$/.test(prev);
    const lowAtStart = /^[\uDC00-\uDFFF]/.test(next);
    expect(highAtEnd && lowAtStart, `pair split between parts ${i - 1} and ${i}`).toBe(false);
  }
  // Greedy packing: a part is closed only when the next indivisible item would not fit.
  for (let i = 0; i + 1 < parts.length; i++) {
    const part = parts[i] ?? '';
    const next = parts[i + 1] ?? '';
    const firstItem = next.slice(0, /^[\uD800-\uDBFF][\uDC00-\uDFFF]/.test(next) ? 2 : 1);
    const size = (s: string) => (a.encoding === 'GSM-7' ? septets(s) : s.length);
    expect(size(part) + size(firstItem)).toBeGreaterThan(a.perSegment);
  }
  if (a.segments > 1) expect(a.segments).toBeGreaterThanOrEqual(Math.ceil(a.units / a.perSegment));
}

describe('properties', () => {
  it('segments == parts, parts rejoin to the text, and no part exceeds its limit (mixed text)', () => {
    fc.assert(fc.property(textOf(smsChar), checkInvariants), { numRuns: 500 });
  });

  it('the same for GSM-7-only text, where escapes sit at every possible boundary', () => {
    fc.assert(
      fc.property(textOf(gsmOnlyChar), (text) => {
        expect(analyzeSms(text).encoding).toBe('GSM-7');
        checkInvariants(text);
      }),
      { numRuns: 500 },
    );
  });

  it('encoding is GSM-7 exactly when every code unit is in the tables', () => {
    const table = new Set([...GSM7_BASIC_CHARS, ...GSM7_EXTENSION_CHARS]);
    fc.assert(
      fc.property(textOf(smsChar), (text) => {
        const allGsm = [...text].every((c) => table.has(c));
        expect(analyzeSms(text).encoding).toBe(allGsm ? 'GSM-7' : 'UCS-2');
      }),
      { numRuns: 300 },
    );
  });
});
