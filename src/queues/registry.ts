// The one list of the fleet's queues: wire name, payload schema, job options, worker
// options. Wire names never change once released (jobs in flight would be orphaned).
import type { JobsOptions } from 'bullmq';
import type { z } from 'zod';
import {
  campaignEventPayload,
  campaignOperationPayload,
  emailBouncePayload,
  emailHealthPayload,
  emailProvisionPayload,
  flowEventPayload,
  flowPublishPayload,
  pacingCheckPayload,
  smsSendPayload,
  smsReconcilePayload,
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

// How long an sms-send job can stay in flight at worst, with the default settings: its
// backoff (1+2+...+64 s = 127 s), each attempt's limiter wait and response timeouts
// (8 x (2 + 15 + 15) s = 256 s), a crashed worker's lock and stall check per takeover
// (3 x 60 s), and 429 deferrals that cost no attempt (RATE_LIMIT_MAX_RESTARTS 50 x up to
// 60 s). About 59 minutes.
const SMS_SEND_ATTEMPTS = 8;
const SMS_SEND_BACKOFF_MS = 1_000;
export const SMS_SEND_WORST_CASE_MS =
  SMS_SEND_BACKOFF_MS * (2 ** (SMS_SEND_ATTEMPTS - 1) - 1) + SMS_SEND_ATTEMPTS * 32_000 + 3 * 60_000 + 50 * 60_000;
// sms-status retries every 30-60 s for at least twice that (about 2 h, 239 attempts).
const SMS_STATUS_RETRY_MS = 60_000;
export const SMS_STATUS_ATTEMPTS = Math.ceil((2 * SMS_SEND_WORST_CASE_MS) / (SMS_STATUS_RETRY_MS / 2)) + 1;

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
    jobOptions: { attempts: SMS_SEND_ATTEMPTS, backoff: backoff(SMS_SEND_BACKOFF_MS), ...keep(24 * 3600, 7 * 24 * 3600) },
    callsCxone: true,
    concurrency: 32,
  }),
  smsStatus: defineQueue({
    name: 'sms-status',
    description: 'CXone SMS delivery-status webhook events',
    schema: smsStatusPayload,
    // A receipt for a message not dispatched yet is parked, not retried; retries are for
    // Redis trouble, and last as long as twice the send's worst case (see above).
    jobOptions: {
      attempts: SMS_STATUS_ATTEMPTS,
      backoff: { type: 'fixed', delay: SMS_STATUS_RETRY_MS, jitter: 0.5 },
      ...keep(24 * 3600, 7 * 24 * 3600),
    },
    callsCxone: false,
    concurrency: 32,
  }),
  smsReconcile: defineQueue({
    name: 'sms-reconcile',
    description: 'Sweeps of SMS without a final receipt: asks CXone, applies the receipt deadline',
    schema: smsReconcilePayload,
    // A failed sweep is simply the next one's work: the set it reads keeps every message.
    jobOptions: { attempts: 1, ...keep(3600, 24 * 3600) },
    callsCxone: true,
    concurrency: 1,
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
    description: 'Email channel provisioning, one step job per request (create, await activation, routing rules, health schedule)',
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
