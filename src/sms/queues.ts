// The SMS domain's queues. Wire names never change once released (jobs in flight would be
// orphaned).
import { backoff, defineQueue, keep } from '../queues/queue-definition.ts';
import { smsReconcilePayload, smsSendPayload, smsStatusPayload } from '../queues/payloads.ts';

// How long an sms-send job can stay in flight at worst, with the default settings: its
// backoff (1+2+...+64 s = 127 s), each attempt's limiter wait and response timeouts
// (8 x (2 + 15 + 15) s = 256 s), a crashed worker's lock and stall check per takeover
// (3 x 60 s), and 429 deferrals that cost no attempt (RATE_LIMIT_MAX_RESTARTS 50 x up to
// 60 s). About 59 minutes.
export const SMS_SEND_ATTEMPTS = 8;
export const SMS_SEND_BACKOFF_MS = 1_000;
export const SMS_SEND_WORST_CASE_MS =
  SMS_SEND_BACKOFF_MS * (2 ** (SMS_SEND_ATTEMPTS - 1) - 1) + SMS_SEND_ATTEMPTS * 32_000 + 3 * 60_000 + 50 * 60_000;
// sms-status retries every 30-60 s for at least twice that (about 2 h, 239 attempts).
const SMS_STATUS_RETRY_MS = 60_000;
export const SMS_STATUS_ATTEMPTS = Math.ceil((2 * SMS_SEND_WORST_CASE_MS) / (SMS_STATUS_RETRY_MS / 2)) + 1;

/** BullMQ priorities of the lanes (lower first): a one-time password overtakes a bulk send. */
export const SMS_PRIORITY_LANE = { otp: 1, transactional: 5, bulk: 10 } as const;

export const SMS_QUEUES = {
  smsSend: defineQueue({
    name: 'sms-send',
    description: 'SMS to send to CXone, one or a chunk of a batch a job, each with its own idempotency key',
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
} as const;
