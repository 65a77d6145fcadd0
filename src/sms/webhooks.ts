// The SMS domain's webhook kinds: CXone delivery-status events into sms-status.
import { z } from 'zod';
import { defineKind, eventFields, eventIdField, webhookId } from '../ingress/webhook-kinds.ts';
import { SMS_STATUSES } from '../queues/payloads.ts';

export const SMS_WEBHOOKS = [
  defineKind({
    kind: 'sms-status',
    path: '/webhooks/sms/status',
    queue: 'smsStatus',
    summary: 'SMS delivery status',
    body: z.looseObject({
      eventId: eventIdField,
      id: eventIdField,
      messageId: webhookId,
      status: z.enum(SMS_STATUSES),
      to: z.string().max(64).optional(),
      timestamp: z.string().min(1).max(64),
      error: z.looseObject({ code: z.string().optional(), message: z.string().optional() }).optional(),
    }),
    known: ['eventId', 'id', 'messageId', 'status', 'to', 'timestamp', 'error'],
    toPayload: (b, m) => ({ ...eventFields(m), messageId: b.messageId, status: b.status, to: b.to, timestamp: b.timestamp, error: b.error }),
  }),
];
