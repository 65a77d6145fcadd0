// Masks personal data before people see it (dashboard job data, dead letters, audit
// records, rejection excerpts): phone numbers keep their "+" and last two digits,
// message text becomes its length.
const PHONE_KEYS = new Set(['to', 'from', 'recipient', 'phone', 'phonenumber', 'msisdn', 'mobile', 'recipients']);
const TEXT_KEYS = new Set(['text', 'body', 'messagetext', 'content', 'smstext']);
const PHONE_LIKE = /^\+?[\d\s().-]{7,20}$/;
// Only international numbers (leading +) in free text: a bare digit run there is as likely
// a date, an amount or an id.
const PHONE_IN_TEXT = /\+\d[\d\s().-]{5,18}\d/g;
const EMAIL = /^([^@\s]{1,64})@([^@\s]{1,255})$/;

export function maskPhone(value: string): string {
  const digits = value.replace(/\D/g, '');
  const shown = digits.slice(-2);
  return `${value.trim().startsWith('+') ? '+' : ''}${'*'.repeat(Math.max(0, digits.length - 2))}${shown}`;
}

function maskEmail(value: string): string {
  const m = EMAIL.exec(value);
  return m ? `${m[1]!.slice(0, 1)}***@${m[2]!}` : value;
}

function maskString(key: string | undefined, value: string): string {
  const k = key?.toLowerCase();
  if (k !== undefined && TEXT_KEYS.has(k)) return `[${[...value].length} chars]`;
  if (k !== undefined && PHONE_KEYS.has(k)) {
    if (PHONE_LIKE.test(value) && /\d{5}/.test(value.replace(/\D/g, ''))) return maskPhone(value);
    if (EMAIL.test(value)) return maskEmail(value);
    return value;
  }
  // A phone number under a key we do not know is still a phone number.
  return maskPhonesInText(value);
}

export function maskJobData(data: unknown, key?: string, depth = 0): unknown {
  if (depth > 20) return '[too deep]';
  if (typeof data === 'string') return maskString(key, data);
  if (Array.isArray(data)) return data.map((v) => maskJobData(v, key, depth + 1));
  if (data !== null && typeof data === 'object') {
    return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, maskJobData(v, k, depth + 1)]));
  }
  return data;
}

/** For free text (a raw body excerpt): every digit run that looks like a phone number. */
export function maskPhonesInText(text: string): string {
  return text.replace(PHONE_IN_TEXT, (m) => (m.replace(/\D/g, '').length >= 7 ? maskPhone(m) : m));
}
