// zod schemas of every queue's job data. Producers parse before `add`, workers parse again
// on receive. Secrets never appear here: jobs carry references, not passwords or keys.
import { z } from 'zod';

const id = z.string().min(1).max(200);
const epochMs = z.number().int().nonnegative();

/** Fields every job carries so a log line can be followed from the ingress into a worker. */
const traced = { accountId: id, requestId: z.string().max(200).optional() };

/** Webhook fields we do not model yet: kept, since CXone may add some. */
const extra = { extra: z.record(z.string(), z.unknown()).optional() };

export const SMS_PRIORITIES = ['otp', 'transactional', 'bulk'] as const;

/** One SMS to one recipient: a job of its own, or one of a chunk's messages. */
export const smsMessagePayload = z.object({
  ...traced,
  batchId: id,
  messageId: id,
  idempotencyKey: id,
  to: z.string().regex(/^\+[1-9]\d{6,14}$/, 'an E.164 number'),
  from: z.string().min(1).max(32),
  text: z.string().min(1).max(10_000),
  campaignId: id,
  priority: z.enum(SMS_PRIORITIES).default('bulk'),
  encoding: z.enum(['GSM-7', 'UCS-2']),
  segments: z.number().int().positive(),
  notAfter: epochMs,
  webhookUrl: z.string().url().optional(),
  /** Attempts a chunk spent on it before it became a job of its own (numbers its attempts on). */
  priorAttempts: z.number().int().min(0).max(20).optional(),
  kind: z.literal('message').optional(),
});

/** Most messages one send job carries. */
export const SMS_CHUNK_MAX = 100;

/**
 * Several messages of one batch in one job, sent in order: one job, one state read and one
 * wake-up for all of them, while each keeps its own state, idempotency key and audit.
 */
export const smsSendChunkPayload = z.object({
  ...traced,
  kind: z.literal('chunk'),
  batchId: id,
  messages: z.array(smsMessagePayload).min(1).max(SMS_CHUNK_MAX),
});

export const smsSendPayload = z.discriminatedUnion('kind', [smsSendChunkPayload, smsMessagePayload]);
export type SmsMessageData = z.output<typeof smsMessagePayload>;

export const SMS_STATUSES = ['queued', 'sent', 'delivered', 'undelivered', 'failed'] as const;

export const smsStatusPayload = z.object({
  ...traced,
  eventId: id,
  messageId: id,
  status: z.enum(SMS_STATUSES),
  to: z.string().optional(),
  timestamp: z.string(),
  error: z.object({ code: z.string().optional(), message: z.string().optional() }).passthrough().optional(),
  receivedAt: epochMs,
  ...extra,
});

/** One sweep of the messages still waiting for CXone (scheduled; carries no message ids). */
export const smsReconcilePayload = z.object({
  ...traced,
  kind: z.literal('sweep').default('sweep'),
});

export const emailBouncePayload = z.object({
  ...traced,
  eventId: id,
  channelId: id,
  messageId: id,
  recipient: z.string().optional(),
  bounceType: z.string().min(1),
  timestamp: z.string(),
  receivedAt: epochMs,
  ...extra,
});

export const emailProvisionPayload = z.object({
  ...traced,
  /** Key of the stored, secret-free spec; secrets are resolved by the worker at run time. */
  specKey: id,
  channelName: z.string().min(1).max(200),
  /** Activation polls (full-jitter backoff) and the job's deadline, from the request. */
  pollBaseMs: z.number().int().min(1).max(3_600_000).default(2_000),
  pollMaxMs: z.number().int().min(1).max(3_600_000).default(60_000),
  activationTimeoutMs: z.number().int().min(1).max(7 * 24 * 3_600_000).default(10 * 60_000),
  /** Sender-health schedule once the channel is active; 0 = none. */
  healthEveryMs: z.number().int().min(0).max(7 * 24 * 3_600_000).default(15 * 60_000),
});

export const emailHealthPayload = z.object({
  ...traced,
  channelId: id,
  channelName: z.string().min(1).max(200),
});

/** One publish of a call flow. It names the content by its key; the flow itself is in the spec store, once. */
export const flowPublishPayload = z.object({
  ...traced,
  publishId: id,
  /** sha256 of the canonical flow (src/domain/flows/canonical.ts), the spec store's key. */
  flowKey: z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 in hex'),
  name: z.string().min(1).max(200),
  /** Revisions of this name when the publish was asked for: part of CXone's idempotency key. */
  baseRevision: z.number().int().nonnegative(),
  message: z.string().max(500).default(''),
  /** Publish even when the content equals the latest revision. */
  force: z.boolean().default(false),
  requestedAt: epochMs,
});
export type FlowPublishData = z.output<typeof flowPublishPayload>;

/** A CXone flow.* event, with the subscription whose secret verified it. */
export const flowEventPayload = z.object({
  ...traced,
  eventId: id,
  eventType: z.string().min(1),
  flowId: id,
  timestamp: z.string(),
  data: z.record(z.string(), z.unknown()).default({}),
  receivedAt: epochMs,
  subscriptionId: id.optional(),
  ...extra,
});
export type FlowEventData = z.output<typeof flowEventPayload>;

/** One preview activation (src/preview/): the spec is stored under its key, the state by activation id. */
export const previewActivationPayload = z.object({
  ...traced,
  activationId: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/),
  specKey: id,
});

export const PACING_POLICY_NAMES = ['seed', 'seed+abandon-cap', 'manual'] as const;
const cpm = z.number().int().min(1).max(1000);

/** Campaign operations: one discriminated payload, one job per operation. */
export const campaignOperationPayload = z.discriminatedUnion('op', [
  z.object({
    ...traced,
    op: z.literal('launch'),
    /** The launch's spec and state live under this id (src/campaigns/keys.ts). */
    launchId: id,
    pollIntervalMs: z.number().int().min(1).max(3_600_000).default(3_000),
    pollJitterMs: z.number().int().min(0).max(3_600_000).default(2_000),
    startTimeoutMs: z.number().int().min(1).max(7 * 24 * 3_600_000).default(600_000),
  }),
  z.object({ ...traced, op: z.literal('set-pacing'), campaignId: id, callsPerMinute: cpm.optional(), policy: z.enum(PACING_POLICY_NAMES).optional() }),
  z.object({ ...traced, op: z.literal('stop'), campaignId: id }),
  z.object({ ...traced, op: z.literal('summary'), campaignId: id }),
]);

/** One pacing check of a running campaign (a job scheduler per campaign produces them). */
export const pacingCheckPayload = z.object({
  ...traced,
  campaignId: id,
});

/** A CXone campaign webhook event (status changes, preview activations). */
export const campaignEventPayload = z.object({
  ...traced,
  eventId: id,
  eventType: z.string().min(1).max(200),
  campaignId: id,
  timestamp: z.string().max(64).optional(),
  data: z.record(z.string(), z.unknown()).optional(),
  receivedAt: epochMs,
  ...extra,
});
