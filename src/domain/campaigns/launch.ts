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

/** The next status poll's delay: interval doubled per 429 this chain met (capped), plus jitter. */
export function pollDelay(intervalMs: number, jitterMs: number, rateLimited: number, random: () => number, capMs = 30_000): number {
  const base = Math.min(capMs, intervalMs * 2 ** Math.min(rateLimited, 16));
  return Math.max(base, intervalMs) + Math.floor(random() * jitterMs);
}

/**
 * The first status poll after a start: the interval plus a random share of a whole polling
 * period (interval + jitter), not of the jitter alone. Launches started together (a batch, a
 * retry storm) then poll spread over a period from their first round on; with only the
 * jitter (0-2 s of a 3-5 s period) their phases stay bunched for a dozen polls and the status
 * GETs arrive in waves. Never sooner than the interval after the start.
 */
export function firstPollDelay(intervalMs: number, jitterMs: number, random: () => number): number {
  return intervalMs + Math.floor(random() * (intervalMs + jitterMs));
}
