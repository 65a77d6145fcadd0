// The one list of the fleet's live queues: the union of the domains' queue sets. A queue
// listed here must have a worker: src/platform/modules.ts does not compile otherwise.
// Wire names never change once released (jobs in flight would be orphaned).
import type { z } from 'zod';
import { CAMPAIGN_QUEUES } from '../campaigns/queues.ts';
import { EMAIL_QUEUES } from '../email/queues.ts';
import { FLOW_QUEUES } from '../flows/queues.ts';
import { PREVIEW_QUEUES } from '../preview/queues.ts';
import { SMS_QUEUES } from '../sms/queues.ts';

export const QUEUES = { ...SMS_QUEUES, ...EMAIL_QUEUES, ...FLOW_QUEUES, ...PREVIEW_QUEUES, ...CAMPAIGN_QUEUES } as const;

/**
 * Wire names kept for domains that are coming: not queues yet, so no producer, webhook or
 * dashboard entry uses them, and no live queue may take one for something else. A domain's
 * change moves its names from here into its queues. (Every name reserved so far has landed.)
 */
export const RESERVED_QUEUE_NAMES: readonly string[] = [];

export type QueueKey = keyof typeof QUEUES;
export type PayloadOf<K extends QueueKey> = z.infer<(typeof QUEUES)[K]['schema']>;
/** What a producer passes: defaults may be omitted. */
export type InputOf<K extends QueueKey> = z.input<(typeof QUEUES)[K]['schema']>;

export const ALL_QUEUE_KEYS = Object.keys(QUEUES) as QueueKey[];

export function queueKeyByName(name: string): QueueKey | undefined {
  return ALL_QUEUE_KEYS.find((k) => QUEUES[k].name === name);
}
