// One contact page through the scrub: filters, the phone number to E.164, CXone suppressions
// and the fleet's DNC list (matched on the number, never on the contact id: the seed's
// defect, PPS 236-240), then the calling window. Pure: the membership answers come in.
import { normalizePhone } from '../sms/phone.ts';
import { checkWindow, windowOf, zonesOf } from './calling-window.ts';
import { passesFilters } from './filters.ts';
import type { PreviewSpec } from './spec.ts';

const NANP_REGIONS = new Set(['US', 'CA', 'PR', 'GU', 'VI', 'AS', 'MP']);

/**
 * The E.164 key a suppression entry is matched on. Suppressions are only looked up, never
 * dialled, so numbers already in E.164 and North American national formats are keyed
 * without the full validation (a number that is not valid matches no contact, since
 * contacts' numbers are validated); anything else goes through libphonenumber.
 */
export function suppressionKey(input: string, region: string): string | undefined {
  const t = input.trim();
  if (/^\+[1-9]\d{6,14}$/.test(t)) return t;
  if (NANP_REGIONS.has(region) && /^[\d\s().-]+$/.test(t)) {
    const digits = t.replace(/\D/g, '');
    if (digits.length === 10) return `+1${digits}`;
    if (digits.length === 11 && digits.startsWith('1')) return `+${digits}`;
  }
  const n = normalizePhone(t, region);
  return n.ok ? n.e164 : undefined;
}

export const OUTCOMES = ['eligible', 'filtered', 'invalid_phone', 'suppressed', 'dnc', 'deferred'] as const;
export type Outcome = (typeof OUTCOMES)[number];
export type ExclusionReason = Exclude<Outcome, 'eligible'>;

export interface Contact {
  id: string;
  fields: Record<string, unknown>;
}

export interface Screened {
  id: string;
  /** Set when the number is valid. */
  e164?: string;
  /** After this step alone: filtered and invalid numbers are settled here. */
  outcome?: 'filtered' | 'invalid_phone';
}

/** Filters and numbers; what is left needs the membership lookups. */
export function screen(contacts: readonly Contact[], spec: PreviewSpec): Screened[] {
  return contacts.map((c) => {
    if (!passesFilters(spec.filters, c.fields, spec.filterMatch)) return { id: c.id, outcome: 'filtered' };
    const raw = c.fields[spec.phoneColumn];
    const phone = typeof raw === 'string' || typeof raw === 'number' ? normalizePhone(String(raw), spec.defaultRegion) : undefined;
    return phone?.ok ? { id: c.id, e164: phone.e164 } : { id: c.id, outcome: 'invalid_phone' };
  });
}

export interface Verdict {
  id: string;
  outcome: Outcome;
  e164?: string;
  nextCallableAt?: number;
}

/** The final outcome of each contact, given which numbers are suppressed or on the DNC list. */
export function decide(
  contacts: readonly Contact[],
  screened: readonly Screened[],
  lists: { suppressed: ReadonlySet<string>; dnc: ReadonlySet<string> },
  spec: PreviewSpec,
  now: number,
): Verdict[] {
  const window = windowOf(spec.callingWindow);
  return screened.map((s, i) => {
    if (s.outcome || !s.e164) return { id: s.id, outcome: s.outcome ?? 'invalid_phone' };
    if (lists.suppressed.has(s.e164)) return { id: s.id, outcome: 'suppressed', e164: s.e164 };
    if (lists.dnc.has(s.e164)) return { id: s.id, outcome: 'dnc', e164: s.e164 };
    const w = checkWindow(zonesOf(contacts[i]!.fields, s.e164, spec.callingWindow), now, window);
    return w.ok ? { id: s.id, outcome: 'eligible', e164: s.e164 } : { id: s.id, outcome: 'deferred', e164: s.e164, nextCallableAt: w.nextCallableAt };
  });
}
