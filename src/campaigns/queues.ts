// The campaigns domain's queues. Wire names never change once released (jobs in flight would
// be orphaned).
import { backoff, defineQueue, keep } from '../queues/queue-definition.ts';
import { campaignEventPayload, campaignOperationPayload, pacingCheckPayload } from '../queues/payloads.ts';

export const CAMPAIGN_QUEUES = {
  campaignOperation: defineQueue({
    name: 'campaign-operation',
    description: 'Campaign operations: launch (one step job: contact list, create, start, status polls), set pacing, stop, summary refresh',
    schema: campaignOperationPayload,
    jobOptions: { attempts: 5, backoff: backoff(2_000), ...keep(30 * 24 * 3600, 30 * 24 * 3600) },
    callsCxone: true,
    concurrency: 8,
  }),
  pacingCheck: defineQueue({
    name: 'pacing-check',
    description: 'Pacing checks, one job scheduler per running campaign: breaker gate, realtime and cumulative figures, decide, PATCH on change',
    schema: pacingCheckPayload,
    jobOptions: { attempts: 2, backoff: backoff(2_000), ...keep(3600, 7 * 24 * 3600) },
    callsCxone: true,
    concurrency: 8,
  }),
  campaignEvent: defineQueue({
    name: 'campaign-event',
    description: 'CXone campaign webhook events, dispatched by event type (status changes settle launches)',
    schema: campaignEventPayload,
    jobOptions: { attempts: 10, backoff: backoff(1_000), ...keep(24 * 3600, 7 * 24 * 3600) },
    callsCxone: false,
    concurrency: 16,
  }),
} as const;
