// Runtime knobs of the campaigns module, set through sim.campaigns.configure() or
// POST /_sim/campaigns/config. Sub-keys merge (dialer, outcomeByName), so a test can set the
// outcome and a fault in separate calls. Scripted responses are consumed as requests arrive.
import { z } from 'zod';

export const CAMPAIGN_OUTCOMES = ['running', 'error', 'stopped', 'stuck'] as const;
export type CampaignOutcome = (typeof CAMPAIGN_OUTCOMES)[number];

/** Route names a scripted response can target. */
export const CAMPAIGN_ROUTES = ['contactList', 'create', 'start', 'get', 'patch', 'realtime', 'statistics', 'stop'] as const;
export type CampaignRoute = (typeof CAMPAIGN_ROUTES)[number];

const count = z.number().int().min(0).max(1_000_000);
const ms = z.number().int().min(0).max(7 * 24 * 3_600_000);
const rate = z.number().min(0).max(1);

export const contactListSchema = z
  .object({
    id: z.string().min(1).max(200),
    name: z.string().min(1).max(200).optional(),
    recordCount: count.optional(),
    dncCompliant: z.boolean().optional(),
    /** ISO time of the last DNC validation; or `validatedDaysAgo` relative to the simulator clock. */
    lastValidated: z.string().min(1).optional(),
    validatedDaysAgo: z.number().min(0).max(10_000).optional(),
  })
  .strict();
export type SimContactList = z.output<typeof contactListSchema>;

export const dialerConfigSchema = z
  .object({
    agents: z.number().int().min(0).max(10_000).optional(),
    answerSchedule: z.array(z.object({ atMs: ms, p: rate }).strict()).min(1).max(1000).optional(),
    avgTalkS: z.number().min(0.1).max(36_000).optional(),
    wrapS: z.number().min(0).max(36_000).optional(),
    abandonThresholdS: z.number().min(0).max(60).optional(),
    realtimeWindowS: z.number().int().min(1).max(86_400).optional(),
    seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
  })
  .strict();

export const scriptedResponseSchema = z
  .object({
    route: z.enum(CAMPAIGN_ROUTES),
    status: z.number().int().min(200).max(599),
    times: z.number().int().min(1).max(1000).default(1),
    /** Retry-After in seconds (429/503). */
    retryAfterS: z.number().min(0).max(3600).optional(),
    body: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export const campaignsConfigSchema = z
  .object({
    contactLists: z.array(contactListSchema).max(1000).optional(),
    /** 'polls': queuedPolls then initializingPolls GETs; 'time': queuedMs then initializingMs after the start. */
    advanceBy: z.enum(['polls', 'time']).optional(),
    queuedPolls: count.optional(),
    initializingPolls: count.optional(),
    queuedMs: ms.optional(),
    initializingMs: ms.optional(),
    outcome: z.enum(CAMPAIGN_OUTCOMES).optional(),
    outcomeByName: z.record(z.string().min(1), z.enum(CAMPAIGN_OUTCOMES)).optional(),
    errorCode: z.string().min(1).max(200).optional(),
    errorMessage: z.string().min(1).max(2000).optional(),
    errorWithoutDetails: z.boolean().optional(),
    /** The next GET of a campaign answers without its status field (L-31). */
    omitStatusOnce: z.boolean().optional(),
    patchStatus: z.union([z.literal(200), z.literal(202)]).optional(),
    /** Sends campaign.status.changed to this URL on each transition (an extension; the seed has none). */
    statusEventsUrl: z.url({ protocol: /^https?$/ }).nullable().optional(),
    maxCallsPerMinute: z.number().int().min(1).max(100_000).optional(),
    dialer: dialerConfigSchema.optional(),
    /** Appended to the script: answered in order per route, before the route runs. */
    script: z.array(scriptedResponseSchema).max(1000).optional(),
  })
  .strict();

export type CampaignsConfigInput = z.input<typeof campaignsConfigSchema>;
export type CampaignsConfig = Omit<z.output<typeof campaignsConfigSchema>, 'script'>;
export type ScriptedResponse = z.output<typeof scriptedResponseSchema>;

/** The seed's example list (CL 150-161), validated two days before the simulator's now. */
export const DEFAULT_CONTACT_LISTS: readonly SimContactList[] = [
  { id: 'CL-839201-AJF2', name: 'Spring renewals', recordCount: 15_420, dncCompliant: true, validatedDaysAgo: 2 },
];

export const CAMPAIGNS_DEFAULTS = {
  advanceBy: 'polls',
  queuedPolls: 2,
  initializingPolls: 2,
  queuedMs: 2_000,
  initializingMs: 4_000,
  outcome: 'running',
  errorCode: 'DIALER_SESSION_TIMEOUT',
  errorMessage: 'dialer session did not open within 30 s',
  patchStatus: 200,
  maxCallsPerMinute: 1000,
} as const;

export const DIALER_DEFAULTS = {
  agents: 12,
  answerSchedule: [{ atMs: 0, p: 0.3 }],
  avgTalkS: 60,
  wrapS: 0,
  abandonThresholdS: 2,
  realtimeWindowS: 300,
  seed: 1,
} as const;

export function mergeCampaignsConfig(current: CampaignsConfig, patch: CampaignsConfig): CampaignsConfig {
  return {
    ...current,
    ...patch,
    dialer: { ...current.dialer, ...patch.dialer },
    outcomeByName: { ...current.outcomeByName, ...patch.outcomeByName },
  };
}
