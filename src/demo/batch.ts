// The demo's generated batch: a realistic mix of good rows and the kinds of bad rows
// upstream systems really send. Deterministic for a given size, so runs compare.
import type { SmsInput } from '../index.ts';

export interface DemoBatch {
  rows: SmsInput[];
  /** Numbers to opt in before sending (the consent store starts empty). */
  optIn: string[];
  /** Numbers to opt out (they must be rejected even though they are valid). */
  optOut: string[];
}

const GSM_TEXTS = [
  'Your order #{n} has shipped. Track it in the app.',
  'Reminder: your appointment is tomorrow at 10:00. Reply STOP to opt out.',
  'Code {n} is your one-time passcode. It expires in 5 minutes.',
];
const UCS2_TEXTS = ['Ihre Bestellung #{n} ist unterwegs 🚚', 'Votre rendez-vous est confirmé ✅ #{n}', '您的订单 #{n} 已发货'];
const LONG_TEXT =
  'Dear customer, we are writing to let you know about changes to our terms of service that take effect next month. ' +
  'Nothing changes for you unless you use the premium plan, in which case billing moves to the first of each month. ' +
  'Questions? Reply to this message or call us any day between 8:00 and 20:00. Reference {n}.';

/** Valid US numbers in the 415 area: +1 415 2xx xxxx. */
function usNumber(i: number): string {
  return `+1415${String(2_000_000 + i).padStart(7, '0')}`;
}

export function generateDemoBatch(size: number): DemoBatch {
  const rows: SmsInput[] = [];
  const optIn: string[] = [];
  const optOut: string[] = [];
  for (let i = 0; i < size; i++) {
    const to = usNumber(i);
    const text = (k: string) => k.replace('{n}', String(100_000 + i));
    const bucket = i % 40;
    if (bucket === 0) {
      rows.push({ to: '+1415555', text: text(GSM_TEXTS[0]!), ref: `demo-${i}` }); // too short
    } else if (bucket === 1) {
      rows.push({ to: 'call me maybe', text: text(GSM_TEXTS[1]!), ref: `demo-${i}` });
    } else if (bucket === 2) {
      rows.push({ to, text: text(GSM_TEXTS[0]!), ref: `demo-${i}` }); // no consent on record
    } else if (bucket === 3) {
      optOut.push(to);
      rows.push({ to, text: text(GSM_TEXTS[1]!), ref: `demo-${i}` });
    } else if (bucket === 4) {
      optIn.push(to);
      rows.push({ to, text: '', ref: `demo-${i}` }); // empty text
    } else {
      optIn.push(to);
      const kind = i % 10;
      const body = kind < 6 ? text(GSM_TEXTS[kind % 3]!) : kind < 8 ? text(UCS2_TEXTS[kind % 3]!) : text(LONG_TEXT);
      rows.push({ to, text: body, ref: `demo-${i}`, ...(kind === 2 ? { priority: 'otp' as const } : {}) });
    }
  }
  return { rows, optIn, optOut };
}
