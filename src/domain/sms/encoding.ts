// SMS encoding and segmentation per GSM 03.38 / 3GPP TS 23.038, pure and O(n).
//
// Why this matters: carriers bill per segment, and CXone splits long texts the same way,
// so the segment count we report and enforce must match what the network does. One
// non-GSM character (a curly quote pasted from a word processor, an emoji) silently
// switches the whole message to UCS-2 and more than halves the room per segment, which
// is why the characters that caused it are reported.

export type SmsEncoding = 'GSM-7' | 'UCS-2';

/**
 * Capacity of one segment. A concatenated part loses room to the 6-byte user data header
 * (UDH) that carries the part number: 7 septets in GSM-7, 3 UTF-16 units in UCS-2.
 */
export const SMS_SEGMENT_LIMITS = {
  'GSM-7': { single: 160, concatenated: 153 },
  'UCS-2': { single: 70, concatenated: 67 },
} as const satisfies Record<SmsEncoding, { single: number; concatenated: number }>;

export interface SmsAnalysis {
  encoding: SmsEncoding;
  /** Septets for GSM-7 (extension characters count 2), UTF-16 code units for UCS-2. */
  units: number;
  /** 0 for empty text. */
  segments: number;
  /** 160/70 when the text fits one segment (or is empty), 153/67 when concatenated. */
  perSegment: number;
  /** Distinct characters (whole code points) that forced UCS-2, in order of first use. */
  nonGsmChars: string[];
}

/**
 * GSM 03.38 default alphabet in table order (0x00-0x7F). 0x1B is the escape to the
 * extension table, not a character, so it is left out: a literal U+001B in user text is
 * not representable and forces UCS-2. The Greek capitals are written as escapes so a
 * look-alike (e.g. the Ohm sign U+2126 for Omega) cannot sneak in.
 */
const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅå' +
  '\u0394_\u03A6\u0393\u039B\u03A9\u03A0\u03A8\u03A3\u0398\u039EÆæßÉ' +
  ' !"#¤%&\'()*+,-./' +
  '0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNO' +
  'PQRSTUVWXYZÄÖÑÜ§' +
  '¿abcdefghijklmno' +
  'pqrstuvwxyzäöñüà';

/** Extension table: each is sent as ESC + char, so it costs two septets. */
const GSM7_EXTENSION = '\f^{}\\[~]|€';

/** Septet cost per UTF-16 code unit; absent = not in GSM 03.38. All entries are BMP. */
const GSM7_COST: ReadonlyMap<number, 1 | 2> = new Map<number, 1 | 2>([
  ...[...GSM7_BASIC].map((c) => [c.charCodeAt(0), 1] as const),
  ...[...GSM7_EXTENSION].map((c) => [c.charCodeAt(0), 2] as const),
]);

/** Exposed for tests and reporting; sizes are 127 and 10. */
export const GSM7_BASIC_CHARS: string = GSM7_BASIC;
export const GSM7_EXTENSION_CHARS: string = GSM7_EXTENSION;

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Length in code units of the code point starting at i: 2 only for a well-formed pair. */
function codePointWidth(text: string, i: number): 1 | 2 {
  return isHighSurrogate(text.charCodeAt(i)) && isLowSurrogate(text.charCodeAt(i + 1)) ? 2 : 1;
}

interface Scan {
  encoding: SmsEncoding;
  units: number;
  nonGsmChars: string[];
}

/** One pass: septet total (valid only if all GSM) and the distinct offending characters. */
function scan(text: string): Scan {
  let septets = 0;
  const nonGsm = new Set<string>();
  for (let i = 0; i < text.length; ) {
    const cost = GSM7_COST.get(text.charCodeAt(i));
    if (cost !== undefined) {
      septets += cost;
      i += 1;
      continue;
    }
    // Keep scanning after the first offender so the report names all of them.
    const width = codePointWidth(text, i);
    nonGsm.add(text.slice(i, i + width));
    i += width;
  }
  return nonGsm.size === 0
    ? { encoding: 'GSM-7', units: septets, nonGsmChars: [] }
    : { encoding: 'UCS-2', units: text.length, nonGsmChars: [...nonGsm] };
}

/**
 * Start index of every part after the first, for a text that needs concatenation.
 * Greedy fill: an indivisible item (an escape sequence in GSM-7, a surrogate pair in
 * UCS-2) that would overflow the current part starts the next one, leaving the current
 * part one unit short, which is what handsets and SMSCs do.
 */
function splitPoints(text: string, encoding: SmsEncoding): number[] {
  const limit = SMS_SEGMENT_LIMITS[encoding].concatenated;
  const points: number[] = [];
  let used = 0;
  for (let i = 0; i < text.length; ) {
    // In GSM-7 every character is one code unit and the cost is in the table (the text
    // was already scanned as all-GSM); in UCS-2 an item is one code point.
    const width = encoding === 'GSM-7' ? 1 : codePointWidth(text, i);
    const cost = encoding === 'GSM-7' ? (GSM7_COST.get(text.charCodeAt(i)) ?? 1) : width;
    if (used + cost > limit) {
      points.push(i);
      used = 0;
    }
    used += cost;
    i += width;
  }
  return points;
}

function segmentsFor(text: string, s: Scan): { segments: number; points: number[] } {
  if (s.units === 0) return { segments: 0, points: [] };
  if (s.units <= SMS_SEGMENT_LIMITS[s.encoding].single) return { segments: 1, points: [] };
  const points = splitPoints(text, s.encoding);
  return { segments: points.length + 1, points };
}

/** Encoding, size and segment count of a text as the network will send it. */
export function analyzeSms(text: string): SmsAnalysis {
  const s = scan(text);
  const { segments } = segmentsFor(text, s);
  const limits = SMS_SEGMENT_LIMITS[s.encoding];
  return {
    encoding: s.encoding,
    units: s.units,
    segments,
    perSegment: segments > 1 ? limits.concatenated : limits.single,
    nonGsmChars: s.nonGsmChars,
  };
}

/**
 * The parts the text is sent as. `splitSms(t).length === analyzeSms(t).segments` and
 * `splitSms(t).join('') === t` always hold; an empty text has no parts.
 */
export function splitSms(text: string): string[] {
  const s = scan(text);
  const { segments, points } = segmentsFor(text, s);
  if (segments === 0) return [];
  if (segments === 1) return [text];
  const parts: string[] = [];
  let start = 0;
  for (const point of points) {
    parts.push(text.slice(start, point));
    start = point;
  }
  parts.push(text.slice(start));
  return parts;
}
