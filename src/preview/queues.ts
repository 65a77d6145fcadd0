// The preview domain's queue. Wire names never change once released (jobs in flight would be
// orphaned). A 412 is retried through the queue's attempts and backoff (at most
// PREVIEW_PRECONDITION_RETRIES of them count as conflicts); a 429 spends no attempt.
import { backoff, defineQueue, keep } from '../queues/queue-definition.ts';
import { previewActivationPayload } from '../queues/payloads.ts';

export const PREVIEW_QUEUES = {
  previewActivation: defineQueue({
    name: 'preview-activation',
    description: 'Preview campaign activation, one step job per request (tier check, suppressions, contacts page by page, payload, webhook, activate, audit)',
    schema: previewActivationPayload,
    jobOptions: { attempts: 8, backoff: backoff(500), ...keep(30 * 24 * 3600, 30 * 24 * 3600) },
    callsCxone: true,
    concurrency: 4,
  }),
} as const;
