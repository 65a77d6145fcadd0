// The campaign-event queue's dispatch: CXone campaign webhooks arrive here and each event
// type has its handler. The list is the hook point for other campaign domains (the preview
// domain's `campaign.preview.activated` handler is added in ./processors.ts). An event type no
// handler claims is logged and ignored, never failed: CXone adding types harms nothing.
import type { Logger } from '../logger.ts';
import type { PayloadOf } from '../queues/registry.ts';
import type { LaunchStore } from './launch-store.ts';
import type { LaunchSettler } from './settle.ts';

export type CampaignEvent = PayloadOf<'campaignEvent'>;

export interface CampaignEventDeps {
  launches: LaunchStore;
  settle: LaunchSettler;
}

export interface CampaignEventHandler {
  /** Event types handled: an exact type, or a prefix ending in '*'. */
  readonly types: readonly string[];
  handle(event: CampaignEvent, deps: CampaignEventDeps, log: Logger): Promise<unknown>;
}

export function handles(h: CampaignEventHandler, eventType: string): boolean {
  return h.types.some((t) => (t.endsWith('*') ? eventType.startsWith(t.slice(0, -1)) : t === eventType));
}

/** campaign.status.changed: a final status settles the launch before the next poll (B4). */
export const statusChangedHandler: CampaignEventHandler = {
  types: ['campaign.status.*'],
  async handle(event, deps, log) {
    const status = typeof event.data?.status === 'string' ? event.data.status.toUpperCase() : undefined;
    const launchId = await deps.launches.byCampaignId(event.campaignId);
    if (!status || !launchId) return { ignored: !status ? 'no status' : 'campaign not launched by this fleet' };
    const launch = await deps.launches.get(launchId);
    if (launch?.settledBy) await deps.settle.ensurePacing(launch);
    if (!launch || launch.settledBy || !['RUNNING', 'STOPPED', 'ERROR'].includes(status)) return { launchId, status, settled: false };
    const lastError = event.data?.lastError as { errorCode?: unknown; errorMessage?: unknown } | undefined;
    const r = await deps.settle(launch, event.campaignId, status, lastError, 'event', log);
    return { launchId, status, settled: r.settled };
  },
};

export const CAMPAIGN_EVENT_HANDLERS: CampaignEventHandler[] = [statusChangedHandler];

export function createCampaignEventProcessor(deps: CampaignEventDeps, handlers: readonly CampaignEventHandler[] = CAMPAIGN_EVENT_HANDLERS) {
  return async (event: CampaignEvent, { log }: { log: Logger }): Promise<unknown> => {
    const handler = handlers.find((h) => handles(h, event.eventType));
    if (!handler) {
      log.info({ eventType: event.eventType, campaignId: event.campaignId, eventId: event.eventId }, 'campaign event of an unhandled type: ignored');
      return { ignored: event.eventType };
    }
    return handler.handle(event, deps, log);
  };
}
