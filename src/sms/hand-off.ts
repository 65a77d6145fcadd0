// Where a chunk sends a message whose attempt failed: a job of its own under the message's
// id, due after the backoff every first retry has, with the attempts the message has left,
// so from there on it is retried (and dead-lettered, and replayed) like any single message.
import type { Queue } from 'bullmq';
import type { SmsMessageData } from '../queues/payloads.ts';
import { fullJitterDelay } from '../queues/queue-definition.ts';
import { SMS_PRIORITY_LANE, SMS_QUEUES, SMS_SEND_ATTEMPTS, SMS_SEND_BACKOFF_MS } from './queues.ts';

export function createHandOff(queue: Queue, random: () => number = Math.random) {
  return async (message: SmsMessageData, failedAttempts: number): Promise<void> => {
    const priorAttempts = (message.priorAttempts ?? 0) + failedAttempts;
    await queue.add(SMS_QUEUES.smsSend.name, { ...message, priorAttempts } satisfies SmsMessageData, {
      jobId: message.messageId,
      priority: SMS_PRIORITY_LANE[message.priority],
      // The queue's backoff (exponential, full jitter) for the attempt that failed.
      delay: fullJitterDelay(SMS_SEND_BACKOFF_MS, priorAttempts - 1, Infinity, random),
      attempts: Math.max(1, SMS_SEND_ATTEMPTS - priorAttempts),
    });
  };
}
