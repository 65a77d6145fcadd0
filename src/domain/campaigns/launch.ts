// The launch request (CampaignRequest, CL 99-114) and the pre-launch contact-list gates
// (CL 135-147, and beyond the document: a DNC validation older than the registry's 31-day
// sync period), pure.
import { z } from 'zod';
import { PACING_POLICIES } from './pacing.ts';

export const DIALER_TYPES = ['preview', 'progressive', 'predictive', 'agentless'] as const;

export const launchSpecSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2000).default(''),
    dialerType: z.enum(DIALER_TYPES).default('predictive'),
    pacing: z
      .object({
        callsPerMinute: z.number().int().min(1).max(1000).default(10),
        maxConcurrent: z.number().int().min(1).max(10_000).default(50),
      })
      .strict()
      .default({ callsPerMinute: 10, maxConcurrent: 50 }),
    contactListId: z.string().trim().min(1).max(200),
    dnc: z
      .object({ enforceNational: z.boolean().default(true), enforceLocal: z.boolean().default(true) })
      .strict()
      .default({ enforceNational: true, enforceLocal: true }),
    /** Pacing checks once RUNNING (default on) and the policy they use (default: the fleet's). */
    autoPacing: z.boolean().default(true),
    policy: z.enum(PACING_POLICIES).optional(),
  })
  .strict();

export type LaunchSpec = z.output<typeof launchSpecSchema>;
export type LaunchSpecInput = z.input<typeof launchSpecSchema>;

/** What CXone is sent on create (the seed's CampaignRequest, field for field). */
export function campaignRequestOf(spec: LaunchSpec) {
  return { name: spec.name, description: spec.description, dialerType: spec.dialerType, pacing: spec.pacing, contactListId: spec.contactListId, dnc: spec.dnc };
}

export interface ContactListFacts {
  id: string;
  dncCompliant: boolean;
  lastValidated?: string | undefined;
}

export type ContactListVerdict =
  | { ok: true }
  | { ok: false; code: 'CONTACT_LIST_NOT_DNC_COMPLIANT' | 'CONTACT_LIST_DNC_STALE'; message: string };

/** The gates on a contact list that exists. `maxAgeDays` 0 turns the freshness gate off. */
export function checkContactList(list: ContactListFacts, now: number, maxAgeDays: number): ContactListVerdict {
  if (!list.dncCompliant) return { ok: false, code: 'CONTACT_LIST_NOT_DNC_COMPLIANT', message: `contact list ${list.id} is not DNC compliant` };
  if (maxAgeDays <= 0) return { ok: true };
  const at = list.lastValidated === undefined ? Number.NaN : Date.parse(list.lastValidated);
  if (Number.isNaN(at)) {
    return { ok: false, code: 'CONTACT_LIST_DNC_STALE', message: `contact list ${list.id} has no valid lastValidated date (${list.lastValidated ?? 'missing'}; at most ${maxAgeDays} days old)` };
  }
  const days = Math.floor((now - at) / 86_400_000);
  if (days > maxAgeDays) {
    return {
      ok: false,
      code: 'CONTACT_LIST_DNC_STALE',
      message: `contact list ${list.id} was last validated ${new Date(at).toISOString().slice(0, 10)} (${days} days ago; at most ${maxAgeDays})`,
    };
  }
  return { ok: true };
}

/** A launch's poll timing: `intervalMs` + U[0, `jitterMs`) apart, the interval doubled per 429 (capped). */
export interface PollTiming {
  intervalMs: number;
  jitterMs: number;
  capMs?: number;
}

/**
 * The n-th launch's phase, a share of the poll period in [0, 1): n times the golden ratio,
 * mod 1 (Fibonacci hashing, exact in 32-bit integers). Any run of consecutive n spreads
 * evenly over the period (the three-gap theorem: the gaps between them take at most three
 * lengths, the longest at most 2.62x the shortest), so launches numbered by one counter
 * poll evenly spread however many there are, in whatever order and process they start.
 */
export function pollPhase(n: number): number {
  return (Math.imul(n, 0x9e3779b9) >>> 0) / 2 ** 32;
}

/**
 * The delay from `now` (epoch ms) to a launch's next status poll, the first after a start
 * included. The launches of an account share one grid whose period is the mean wait,
 * interval + jitter / 2; each launch owns a slot of jitter / 2 in every period, starting
 * at its `phase` (pollPhase), and each poll falls at a random point of the first of its
 * slots that ends at least the interval (doubled per 429 this launch met, capped) after now,
 * never sooner than that. So on time, poll
 * after poll, the waits are interval + [0, jitter) as before (3-5 s by default; the first
 * after a start up to a period more, 3-7 s), but the polls stay in their slots instead of
 * drifting: with independent random waits many launches' polls pile up at random like a
 * Poisson stream; on the grid they arrive spread by their phases.
 */
export function pollDelay(now: number, phase: number, rateLimited: number, t: PollTiming, random: () => number): number {
  const capMs = t.capMs ?? 30_000;
  const gapMs = Math.max(t.intervalMs, Math.min(capMs, t.intervalMs * 2 ** Math.min(rateLimited, 16)));
  const slotMs = t.jitterMs / 2;
  const periodMs = t.intervalMs + slotMs;
  if (periodMs <= 0) return gapMs;
  // The launch's first slot that ends at least the gap from now; in it, a random point no
  // sooner than the gap (a slot under way when the gap ends is drawn from its rest).
  const slotAt = phase * periodMs + Math.ceil((now + gapMs - slotMs - phase * periodMs) / periodMs) * periodMs;
  const earliest = Math.max(slotAt, now + gapMs);
  const dueAt = earliest + random() * (slotAt + slotMs - earliest);
  return Math.max(gapMs, Math.ceil(dueAt - now));
}
