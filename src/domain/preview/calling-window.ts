// Calling windows in the recipient's local time (TSR 16 CFR 310.4(c) and TCPA: 8 a.m. to
// 9 p.m. at the called party's location; Florida's stricter 8 p.m. as its own profile).
// A contact whose zone sources disagree (its timeZone field, its ZIP, its area code) may be
// called only when every one of them is inside the window: the intersection, Genesys's
// "safe window". Out-of-window contacts are deferred to their next callable time, never
// dropped. DST comes from Intl; no time-zone library.
import { z } from 'zod';
import { isTimeZone, zoneOfPhone, zoneOfZip } from './zones.ts';

export const WINDOW_PROFILES = {
  /** The federal rule: 08:00-21:00 local. */
  'us-tsr': { start: '08:00', end: '21:00' },
  /** Florida (Fla. Stat. 501.616): 08:00-20:00 local. */
  'us-fl': { start: '08:00', end: '20:00' },
} as const;

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM (24 h)');

export const callingWindowSchema = z
  .object({
    /** off: no window (the seed's behaviour); custom: start and end below. */
    profile: z.enum(['off', 'us-tsr', 'us-fl', 'custom']).default('off'),
    start: hhmm.optional(),
    end: hhmm.optional(),
    /** Zone of contacts no source places. */
    defaultTimeZone: z.string().refine(isTimeZone, 'an IANA time zone such as America/New_York').default('America/New_York'),
    timeZoneColumn: z.string().min(1).default('timeZone'),
    zipColumn: z.string().min(1).default('zip'),
  })
  .strict()
  .superRefine((w, ctx) => {
    if (w.profile === 'custom' && (!w.start || !w.end)) ctx.addIssue({ code: 'custom', path: ['start'], message: 'a custom profile needs start and end' });
    if (w.profile !== 'custom' && (w.start || w.end)) ctx.addIssue({ code: 'custom', path: ['profile'], message: 'start and end need profile: custom' });
    if (w.start && w.end && w.start >= w.end) ctx.addIssue({ code: 'custom', path: ['end'], message: 'must be after start' });
  });

export type CallingWindowSpec = z.infer<typeof callingWindowSchema>;

export interface Window {
  startMin: number;
  endMin: number;
}

const minutes = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));

/** The daily window of a spec, or null when off. */
export function windowOf(spec: CallingWindowSpec): Window | null {
  if (spec.profile === 'off') return null;
  const w = spec.profile === 'custom' ? { start: spec.start!, end: spec.end! } : WINDOW_PROFILES[spec.profile];
  return { startMin: minutes(w.start), endMin: minutes(w.end) };
}

/** Every zone a contact's data points to; the default when none does. */
export function zonesOf(fields: Record<string, unknown>, e164: string | undefined, spec: CallingWindowSpec): string[] {
  const tz = fields[spec.timeZoneColumn];
  const found = [typeof tz === 'string' && isTimeZone(tz) ? tz : undefined, zoneOfZip(fields[spec.zipColumn]), e164 ? zoneOfPhone(e164) : undefined];
  const zones = [...new Set(found.filter((z): z is string => z !== undefined))];
  return zones.length > 0 ? zones : [spec.defaultTimeZone];
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function localMinutes(zone: string, t: number): number {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hour: 'numeric', minute: 'numeric', hourCycle: 'h23' });
    formatters.set(zone, f);
  }
  let h = 0;
  let m = 0;
  for (const p of f.formatToParts(t)) {
    if (p.type === 'hour') h = Number(p.value);
    else if (p.type === 'minute') m = Number(p.value);
  }
  return h * 60 + m;
}

const inWindow = (zone: string, t: number, w: Window) => {
  const m = localMinutes(zone, t);
  return m >= w.startMin && m < w.endMin;
};

/** The next moment at or after t when the zone's local clock reads the window's start. */
function nextStart(zone: string, t: number, w: Window): number {
  const floor = t - (t % 60_000);
  let delta = w.startMin - localMinutes(zone, floor);
  if (delta <= 0) delta += 1440;
  const at = floor + delta * 60_000;
  // A DST change in between moves the wall clock by its shift: correct once.
  const drift = localMinutes(zone, at) - w.startMin;
  return drift === 0 || Math.abs(drift) > 180 ? at : at - drift * 60_000;
}

export type WindowCheck = { ok: true } | { ok: false; nextCallableAt: number };

/** Callable now in every zone, or the earliest moment it is. */
export function checkWindow(zones: readonly string[], now: number, w: Window | null): WindowCheck {
  if (!w) return { ok: true };
  let t = now;
  for (let round = 0; round < 8; round++) {
    const out = zones.filter((z) => !inWindow(z, t, w));
    if (out.length === 0) return t === now ? { ok: true } : { ok: false, nextCallableAt: t };
    t = Math.max(...out.map((z) => nextStart(z, t, w)));
  }
  // Zones more than a window apart have no common hour: the earliest start is still a date to retry.
  return { ok: false, nextCallableAt: t };
}
