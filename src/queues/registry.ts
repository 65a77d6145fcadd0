// The one list of the fleet's queues: wire name, payload schema, job options, worker
// options. Wire names never change once released (jobs in flight would be orphaned).
import type { JobsOptions } from 'bullmq';
import type { z } from 'zod';
import {
  activationPollPayload,
  campaignEventPayload,
  campaignOperationPayload,
  emailBouncePayload,
  emailHealthPayload,
  emailProvisionPayload,
  flowEventPayload,
  flowPublishPayload,
  pacingCheckPayload,
  smsSendPayload,
  smsStatusPayload,
} from './payloads.ts';

export interface QueueDefinition<S extends z.ZodType = z.ZodType> {
  /** Wire name in Redis. */
  readonly name: string;
  readonly description: string;
  readonly schema: S;
  readonly jobOptions: JobsOptions;
  /** Whether its jobs call CXone (and so share the account's budget and 429 pauses). */
  readonly callsCxone: boolean;
  /** Default per-process concurrency; the CLI may override. */
  readonly concurrency: number;
}

/** Exponential backoff with full jitter: delay is uniform in [0, base * 2^(attempt-1)). */
const backoff = (baseMs: number) => ({ type: 'exponential', delay: baseMs, jitter: 1 }) as const;

// Completed jobs are evidence for a while; failed ones are kept longer for the DLQ view.
const keep = (completedAgeS: number, failedAgeS: number) => ({
  removeOnComplete: { age: completedAgeS, count: 100_000 },
  removeOnFail: { age: failedAgeS, count: 100_000 },
});

function defineQueue<S extends z.ZodType>(def: QueueDefinition<S>): QueueDefinition<S> {
  return def;
}

export const QUEUES = {
  smsSend: defineQueue({
    name: 'sms-send',
    description: 'One SMS to one recipient, sent to CXone with an idempotency key',
    schema: smsSendPayload,
    jobOptions: { attempts: 8, backoff: backoff(1_000), ...keep(24 * 3600, 7 * 24 * 3600) },
    callsCxone: true,
    concurrency: 32,
  }),
  smsStatus: defineQueue({
    name: 'sms-status',
    description: 'CXone SMS delivery-status webhook events',
    schema: smsStatusPayload,
    jobOptions: { attempts: 10, backoff: backoff(500), ...keep(24 * 3600, 7 * 24 * 3600) },
    callsCxone: false,
    concurrency: 32,
  }),
  emailBounce: defineQueue({
    name: 'email-bounce',
    description: 'CXone email bounce webhook events',
    schema: emailBouncePayload,
    jobOptions: { attempts: 10, backoff: backoff(1_000), ...keep(24 * 3600, 7 * 24 * 3600) },
    callsCxone: false,
    concurrency: 16,
  }),
  campaignEvent: defineQueue({
    name: 'campaign-event',
    description: 'CXone campaign webhook events',
    schema: campaignEventPayload,
    jobOptions: { attempts: 10, backoff: backoff(1_000), ...keep(24 * 3600, 7 * 24 * 3600) },
    callsCxone: false,
    concurrency: 8,
  }),
  flowEvent: defineQueue({
    name: 'flow-event',
    description: 'CXone flow webhook events',
    schema: flowEventPayload,
    jobOptions: { attempts: 10, backoff: backoff(1_000), ...keep(24 * 3600, 7 * 24 * 3600) },
    callsCxone: false,
    concurrency: 8,
  }),
  activationPoll: defineQueue({
    name: 'activation-poll',
    description: 'Delayed polls of asynchronous CXone state (email channel, campaign start, flow job)',
    schema: activationPollPayload,
    jobOptions: { attempts: 5, backoff: backoff(2_000), ...keep(24 * 3600, 30 * 24 * 3600) },
    callsCxone: true,
    concurrency: 16,
  }),
  pacingCheck: defineQueue({
    name: 'pacing-check',
    description: 'Scheduled pacing checks of running campaigns',
    schema: pacingCheckPayload,
    jobOptions: { attempts: 3, backoff: backoff(2_000), ...keep(3600, 7 * 24 * 3600) },
    callsCxone: true,
    concurrency: 8,
  }),
  emailProvision: defineQueue({
    name: 'email-provision',
    description: 'Email channel provisioning (create, activate, routing rules)',
    schema: emailProvisionPayload,
    jobOptions: { attempts: 6, backoff: backoff(2_000), ...keep(30 * 24 * 3600, 30 * 24 * 3600) },
    callsCxone: true,
    concurrency: 4,
  }),
  campaignOperation: defineQueue({
    name: 'campaign-operation',
    description: 'Campaign launch, preview activation, pacing changes',
    schema: campaignOperationPayload,
    jobOptions: { attempts: 6, backoff: backoff(2_000), ...keep(30 * 24 * 3600, 30 * 24 * 3600) },
    callsCxone: true,
    concurrency: 4,
  }),
  flowPublish: defineQueue({
    name: 'flow-publish',
    description: 'Call flow validation and publish',
    schema: flowPublishPayload,
    jobOptions: { attempts: 6, backoff: backoff(2_000), ...keep(30 * 24 * 3600, 30 * 24 * 3600) },
    callsCxone: true,
    concurrency: 4,
  }),
  emailHealth: defineQueue({
    name: 'email-health',
    description: 'Scheduled sender-health checks per active email channel (bounce and complaint rates)',
    schema: emailHealthPayload,
    jobOptions: { attempts: 3, backoff: backoff(5_000), ...keep(3600, 7 * 24 * 3600) },
    callsCxone: true,
    concurrency: 4,
  }),
} as const;

export type QueueKey = keyof typeof QUEUES;
export type PayloadOf<K extends QueueKey> = z.infer<(typeof QUEUES)[K]['schema']>;
/** What a producer passes: defaults may be omitted. */
export type InputOf<K extends QueueKey> = z.input<(typeof QUEUES)[K]['schema']>;

export const ALL_QUEUE_KEYS = Object.keys(QUEUES) as QueueKey[];

export function queueKeyByName(name: string): QueueKey | undefined {
  return ALL_QUEUE_KEYS.find((k) => QUEUES[k].name === name);
}
