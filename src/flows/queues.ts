// The flows domain's queues. Wire names never change once released (jobs in flight would be
// orphaned).
import { flowEventPayload, flowPublishPayload } from '../queues/payloads.ts';
import { backoff, defineQueue, keep } from '../queues/queue-definition.ts';

export const FLOW_QUEUES = {
  flowPublish: defineQueue({
    name: 'flow-publish',
    description: 'Call flow publish as one step job: validate again, submit to CXone, poll its job, record the revision',
    schema: flowPublishPayload,
    jobOptions: { attempts: 6, backoff: backoff(2_000), ...keep(30 * 24 * 3600, 30 * 24 * 3600) },
    callsCxone: true,
    concurrency: 4,
  }),
  flowEvent: defineQueue({
    name: 'flow-event',
    description: 'CXone flow.* events (created, updated, deleted): recorded once, drift reported',
    schema: flowEventPayload,
    jobOptions: { attempts: 10, backoff: backoff(1_000), ...keep(24 * 3600, 7 * 24 * 3600) },
    callsCxone: false,
    concurrency: 8,
  }),
} as const;
