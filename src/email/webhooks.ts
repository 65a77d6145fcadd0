// The email domain's webhook kinds: CXone bounce events into email-bounce.
import { z } from 'zod';
import { defineKind, eventFields, eventIdField, webhookId } from '../ingress/webhook-kinds.ts';

export const EMAIL_WEBHOOKS = [
  defineKind({
    kind: 'email-bounce',
    path: '/webhooks/email/bounce',
    queue: 'emailBounce',
    summary: 'Email bounce',
    body: z.looseObject({
      eventId: eventIdField,
      id: eventIdField,
      channelId: webhookId,
      messageId: webhookId,
      bounceType: z.string().min(1).max(200),
      timestamp: z.string().min(1).max(64),
      recipient: z.string().max(320).optional(),
    }),
    known: ['eventId', 'id', 'channelId', 'messageId', 'bounceType', 'timestamp', 'recipient'],
    toPayload: (b, m) => ({
      ...eventFields(m),
      channelId: b.channelId,
      messageId: b.messageId,
      recipient: b.recipient,
      bounceType: b.bounceType,
      timestamp: b.timestamp,
    }),
  }),
];
