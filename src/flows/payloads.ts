// Job data of the flows queues. A publish job carries the content key, never the flow: the
// content is in the spec store, once, however many publishes name it.
import { z } from 'zod';
import { flowEventPayload as webhookFlowEvent } from '../queues/payloads.ts';

const id = z.string().min(1).max(200);
const epochMs = z.number().int().nonnegative();
const traced = { accountId: id, requestId: z.string().max(200).optional() };

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

/** A flow.* webhook event, with the subscription whose secret verified it. */
export const flowEventPayload = webhookFlowEvent.extend({ subscriptionId: id.optional() });
export type FlowEventData = z.output<typeof flowEventPayload>;
