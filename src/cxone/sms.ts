// CXone SMS: the send call, and the status reads reconciliation asks. The idempotency key
// goes with every attempt so a retry after a lost response never sends the message twice.
import { z } from 'zod';
import { ErrorCode, isFleetError } from '../errors.ts';
import type { CxoneClient } from './http.ts';

export const smsSendResponse = z.object({ id: z.string().min(1) }).passthrough();

export interface SmsSendRequest {
  to: string[];
  from: string;
  text: string;
  campaignId: string;
  webhookUrl?: string | undefined;
  idempotencyKey: string;
  signal?: AbortSignal;
}

export async function sendSms(client: CxoneClient, req: SmsSendRequest): Promise<{ messageId: string; status: number; latencyMs: number }> {
  const res = await client.request('smsSend', {
    body: {
      to: req.to,
      from: req.from,
      text: req.text,
      campaignId: req.campaignId,
      ...(req.webhookUrl ? { webhookUrl: req.webhookUrl } : {}),
      segmentation: { enabled: true },
    },
    idempotencyKey: req.idempotencyKey,
    signal: req.signal,
    schema: smsSendResponse,
  });
  return { messageId: res.body.id, status: res.status, latencyMs: res.latencyMs };
}

// What CXone says a message's status is (the simulator's shape; see endpoints.ts).
export const smsStatusResponse = z
  .object({
    id: z.string().min(1),
    status: z.enum(['queued', 'sent', 'delivered', 'undelivered', 'failed']),
    timestamp: z.string().optional(),
    error: z.object({ code: z.string().optional(), message: z.string().optional() }).passthrough().optional(),
  })
  .passthrough();
export type SmsStatusAnswer = z.infer<typeof smsStatusResponse>;

/** The status of a message CXone gave an id; undefined when CXone does not know the id. */
export async function getSmsStatus(client: CxoneClient, cxoneId: string, signal?: AbortSignal): Promise<SmsStatusAnswer | undefined> {
  return notFoundAsUndefined(client.request('smsStatus', { params: { id: cxoneId }, signal, schema: smsStatusResponse }));
}

/** The message a send with this idempotency key made; undefined when CXone has none. */
export async function lookupSmsByKey(client: CxoneClient, idempotencyKey: string, signal?: AbortSignal): Promise<SmsStatusAnswer | undefined> {
  return notFoundAsUndefined(client.request('smsLookup', { query: { idempotencyKey }, signal, schema: smsStatusResponse }));
}

async function notFoundAsUndefined(call: Promise<{ body: SmsStatusAnswer }>): Promise<SmsStatusAnswer | undefined> {
  try {
    return (await call).body;
  } catch (err) {
    if (isFleetError(err) && err.code === ErrorCode.CxoneNotFound) return undefined;
    throw err;
  }
}

/**
 * Whether a failed send may have reached CXone all the same: the request was on the wire
 * when the answer was lost (a response timeout, a reset after writing). Retried with the
 * same idempotency key it is harmless; with attempts spent, the message is `unknown`.
 */
export function isOutcomeUnknown(err: unknown): boolean {
  return isFleetError(err) && err.details?.outcomeUnknown === true;
}
