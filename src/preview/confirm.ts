// Confirmation of an activation by CXone's own `campaign.preview.activated` event (item 2h).
// The campaign-event worker (campaigns domain) calls confirmPreviewActivation for events of
// that type; anything else it is handed is answered "ignored", never an error, so CXone
// adding event types harms nothing. Idempotent: the first event confirms, repeats are no-ops.
import type { CampaignEventHandler } from '../campaigns/events.ts';
import { z } from 'zod';
import type { PreviewMetrics } from './metrics.ts';
import type { ActivationState } from './activation-state.ts';

export const PREVIEW_ACTIVATED = 'campaign.preview.activated';

const eventSchema = z
  .object({
    eventId: z.string().optional(),
    id: z.string().optional(),
    eventType: z.string().optional(),
    type: z.string().optional(),
    campaignId: z.string().min(1),
    timestamp: z.string().optional(),
    data: z.object({ version: z.number().int(), status: z.string().optional() }).passthrough(),
  })
  .passthrough();

export interface ConfirmDeps {
  state: ActivationState;
  metrics?: PreviewMetrics;
  now?: () => number;
}

export type ConfirmResult = { confirmed: true; activationId: string; lagMs?: number } | { confirmed: false; activationId?: string; reason: string };

export async function confirmPreviewActivation(event: unknown, deps: ConfirmDeps): Promise<ConfirmResult> {
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) return { confirmed: false, reason: `not a preview activation event: ${parsed.error.issues[0]?.message ?? 'bad body'}` };
  const e = parsed.data;
  if ((e.eventType ?? e.type) !== PREVIEW_ACTIVATED) return { confirmed: false, reason: `event type ${e.eventType ?? e.type ?? '(none)'} is not ${PREVIEW_ACTIVATED}` };
  const activationId = await deps.state.byCampaign(e.campaignId);
  if (!activationId) return { confirmed: false, reason: `no preview activation of campaign ${e.campaignId}` };
  const rec = await deps.state.get(activationId);
  // An event for an older version is another writer's activation, not ours.
  if (rec?.version !== undefined && e.data.version < rec.version) return { confirmed: false, activationId, reason: `event for version ${e.data.version}, activation wrote ${rec.version}` };
  const at = (deps.now ?? Date.now)();
  if (!(await deps.state.confirm(activationId, at, e.data.version))) return { confirmed: false, activationId, reason: 'already confirmed' };
  const lagMs = rec?.activatedAt === undefined ? undefined : Math.max(0, at - rec.activatedAt);
  if (lagMs !== undefined) deps.metrics?.webhookLag.observe(lagMs / 1000);
  return { confirmed: true, activationId, ...(lagMs === undefined ? {} : { lagMs }) };
}

/**
 * The campaign-event queue's handler for preview activations: the campaigns domain owns the
 * queue and its dispatch (src/campaigns/events.ts); this domain says what the event means.
 * A repeat, a stale version or an unknown campaign is answered, never failed.
 */
export function previewActivatedHandler(deps: ConfirmDeps): CampaignEventHandler {
  return {
    types: [PREVIEW_ACTIVATED],
    handle: (event) => confirmPreviewActivation(event, deps),
  };
}
