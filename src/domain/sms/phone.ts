// Phone number normalisation to E.164 with the full ('max') libphonenumber metadata, so
// "valid" means the number fits a real numbering plan, not just a plausible length.
//
// Only invalid numbers are refused. Number type is deliberately not checked: fixed-line
// numbers are often SMS-capable through providers (landline texting), and the 'max'
// metadata cannot tell which, so rejecting them would drop deliverable messages.
import {
  ParseError,
  getCountryCallingCode,
  isSupportedCountry,
  parsePhoneNumberWithError,
  validatePhoneNumberLength,
} from 'libphonenumber-js/max';
import type { CountryCode } from 'libphonenumber-js/max';

export type PhoneResult = { ok: true; e164: string } | { ok: false; reason: string };

/**
 * Generous upper bound on input length: the longest E.164 number is 15 digits, and even
 * formatted with spaces, brackets and a leading "+" it stays far below this. Checking it
 * first keeps absurd inputs (a whole CSV line in one cell) cheap.
 */
const MAX_INPUT_LENGTH = 64;

function lengthReason(code: string | undefined): string | undefined {
  switch (code) {
    case 'TOO_SHORT':
      return 'too short';
    case 'TOO_LONG':
      return 'too long';
    case 'INVALID_LENGTH':
      return 'invalid length';
    default:
      return undefined;
  }
}

function parseErrorReason(code: string, trimmed: string, region: CountryCode | undefined): string {
  const length = lengthReason(code);
  if (length !== undefined) return length;
  if (code === 'INVALID_COUNTRY') {
    if (trimmed.startsWith('+')) return 'unknown country calling code';
    // Only reachable without a region: a national number cannot be placed in a country.
    if (region === undefined) return 'not in international format (+country code) and no default region given';
    return `invalid number for region ${region}`;
  }
  return 'not a phone number';
}

const ANY_DIGIT = /\p{Nd}/u;
const NON_ASCII_DIGIT = /(?![0-9])\p{Nd}/gu;

/** The value of a Unicode decimal digit: Nd digits come in runs of whole 0-9 sets. */
function digitValue(ch: string): string {
  const cp = ch.codePointAt(0)!;
  let start = cp;
  while (start > 0 && ANY_DIGIT.test(String.fromCodePoint(start - 1))) start--;
  return String((cp - start) % 10);
}

/**
 * What a person typed, as plain ASCII where it matters: NFKC turns fullwidth and other
 * compatibility forms ("＋４４", "﹢", superscripts) into "+" and ASCII digits, and digits
 * of other scripts (Arabic-Indic, Devanagari, ...) become their ASCII values. Without
 * this a fullwidth plus was read as a national number of the default region.
 */
export function plainPhoneText(input: string): string {
  return input.normalize('NFKC').replace(NON_ASCII_DIGIT, digitValue).trim();
}

/** Digits with common formatting only: the shape a number written without "+" has. */
const FORMATTED_DIGITS = /^[0-9 ().\-/]+$/;

/**
 * Normalise a recipient to E.164. Accepts "+<country code>..." in any common formatting,
 * and national formats ("07911 123456") when a default region is given. A number written
 * without "+" that is valid both in the default region and as an international number
 * ("447911123456" with region DE) is refused as ambiguous, naming both readings: guessing
 * sends someone else's message to a stranger. Never throws.
 */
export function normalizePhone(input: string, defaultRegion?: string): PhoneResult {
  try {
    if (typeof input !== 'string') return { ok: false, reason: 'not a phone number' };
    const trimmed = plainPhoneText(input);
    if (trimmed === '') return { ok: false, reason: 'empty' };
    if (trimmed.length > MAX_INPUT_LENGTH) return { ok: false, reason: 'too long' };

    let region: CountryCode | undefined;
    if (defaultRegion !== undefined && defaultRegion.trim() !== '') {
      const upper = defaultRegion.trim().toUpperCase();
      // A bad region is a configuration error; say so rather than blaming the number.
      if (!isSupportedCountry(upper)) return { ok: false, reason: `unknown default region ${JSON.stringify(defaultRegion)}` };
      region = upper;
    }

    let parsed;
    try {
      // extract: false, because the default would pull a number out of surrounding text
      // ("call +1 213 373 4253 now") and accept a cell that is clearly not a number.
      parsed = parsePhoneNumberWithError(trimmed, { defaultCountry: region, extract: false });
    } catch (err) {
      if (err instanceof ParseError) return { ok: false, reason: parseErrorReason(err.message, trimmed, region) };
      return { ok: false, reason: 'not a phone number' };
    }

    // An extension cannot receive a text; sending to the main number would reach the
    // wrong person (a switchboard), so refuse rather than drop the extension.
    if (parsed.ext !== undefined && parsed.ext !== '') {
      return { ok: false, reason: 'has an extension, which cannot receive SMS' };
    }

    const international = region !== undefined ? internationalReading(trimmed) : undefined;
    if (!parsed.isValid()) {
      const length = lengthReason(validatePhoneNumberLength(trimmed, region));
      const hint = international !== undefined ? `; if it is international, write it as ${international}` : '';
      if (length !== undefined) return { ok: false, reason: `${length}${hint}` };
      return { ok: false, reason: `invalid number for ${describePlace(parsed.country, parsed.countryCallingCode, region)}${hint}` };
    }
    if (international !== undefined && international !== parsed.number) {
      return {
        ok: false,
        reason: `ambiguous: ${parsed.number} in region ${region} or ${international} as an international number; write it with "+" and the country code`,
      };
    }
    return { ok: true, e164: parsed.number };
  } catch {
    // Defensive: the library has thrown non-ParseErrors on odd input in the past, and a
    // validator that throws would fail a whole import instead of one row.
    return { ok: false, reason: 'not a phone number' };
  }
}

/** The number read as "+" followed by its digits, when that is a valid number and it was written without "+". */
function internationalReading(text: string): string | undefined {
  if (!FORMATTED_DIGITS.test(text) || text.startsWith('0')) return undefined;
  try {
    const intl = parsePhoneNumberWithError(`+${text.replace(/[^0-9]/g, '')}`, { extract: false });
    return intl.isValid() && (intl.ext === undefined || intl.ext === '') ? intl.number : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where the number was judged: its own country when the library could tell, the default
 * region when the number was read as national to it, otherwise the calling code (+1 is
 * shared by 25 countries, so an unknown area code has no single country).
 */
function describePlace(country: CountryCode | undefined, callingCode: string, region: CountryCode | undefined): string {
  if (country !== undefined) return `region ${country}`;
  if (region !== undefined && getCountryCallingCode(region) === callingCode) return `region ${region}`;
  return `country calling code +${callingCode}`;
}
