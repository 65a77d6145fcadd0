// CXone SMS: one send call. The idempotency key goes with every attempt so a retry after a
// lost response never sends the message twice.
import { z } from 'zod';
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
