// Whether CLI output shows personal data (phone numbers, email addresses, message texts).
// Masked unless the person running the command asked for it with --show-pii: terminal
// output ends up in scrollback, tickets and CI logs.
import { maskJobData } from '../mask.ts';

let showPii = false;

export function setShowPii(on: boolean): void {
  showPii = on;
}

export function piiShown(): boolean {
  return showPii;
}

const EMAIL = /^([^@\s]{1,64})@([^@\s]{1,255})$/;

function maskEmails(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') {
    const m = EMAIL.exec(value);
    return m ? `${m[1]!.slice(0, 1)}***@${m[2]!}` : value;
  }
  if (depth > 20 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => maskEmails(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskEmails(v, depth + 1)]));
}

/** `value` as it may be printed: phones, texts (src/mask.ts) and addresses masked, unless --show-pii. */
export function forOutput<T>(value: T): T {
  return (showPii ? value : maskEmails(maskJobData(value))) as T;
}
