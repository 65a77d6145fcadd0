// The campaigns domain's webhook kind: CXone campaign events into campaign-event.
import { z } from 'zod';
import { defineKind, eventFields, eventIdField, webhookId } from '../ingress/webhook-kinds.ts';

export const CAMPAIGN_WEBHOOKS = [
  defineKind({
    kind: 'campaign-event',
    path: '/webhooks/campaigns/events',
    queue: 'campaignEvent',
    summary: 'Campaign event (status changes; preview activations)',
    body: z.looseObject({
      eventId: eventIdField,
      id: eventIdField,
      eventType: z.string().min(1).max(200).optional(),
      type: z.string().min(1).max(200).optional(),
      campaignId: webhookId,
      timestamp: z.string().max(64).optional(),
      data: z.record(z.string(), z.unknown()).optional(),
    }).refine((b) => b.eventType !== undefined || b.type !== undefined, { message: 'eventType or type is required', path: ['eventType'] }),
    known: ['eventId', 'id', 'eventType', 'type', 'campaignId', 'timestamp', 'data'],
    toPayload: (b, m) => ({
      ...eventFields(m),
      eventType: (b.eventType ?? b.type)!,
      campaignId: b.campaignId,
      timestamp: b.timestamp,
      data: b.data,
    }),
  }),
];
