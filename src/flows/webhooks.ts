// The flows domain's webhook kind: CXone flow.* events into flow-event. A delivery is
// verified with the secret of a registered subscription, not the ingress's WEBHOOK_SECRETS,
// and its job says which subscription signed it. The check loads with its first delivery:
// this file is part of the light manifest.
import { z } from 'zod';
import { defineKind, eventFields, eventIdField, webhookId } from '../ingress/webhook-kinds.ts';

const eventType = z.string().min(1).max(200).optional();

export const FLOW_WEBHOOKS = [
  defineKind({
    kind: 'flow-event',
    path: '/webhooks/flows/events',
    queue: 'flowEvent',
    summary: "CXone flow event (flow.created, flow.updated, flow.deleted), signed with its subscription's secret",
    body: z
      .looseObject({
        eventId: eventIdField,
        id: eventIdField,
        eventType,
        type: eventType,
        flowId: webhookId,
        timestamp: z.string().min(1).max(64),
        data: z.record(z.string(), z.unknown()).optional(),
      })
      .superRefine((b, ctx) => {
        // `eventType` is the documented name; some deliveries say `type`.
        if (b.eventType === undefined && b.type === undefined) ctx.addIssue({ code: 'custom', path: ['eventType'], message: 'Required (eventType or type)' });
      }),
    known: ['eventId', 'id', 'eventType', 'type', 'flowId', 'timestamp', 'data'],
    verify: async (ctx) => (await import('./webhook-verify.ts')).verifyBySubscription(ctx),
    toPayload: (b, m) => ({
      ...eventFields(m),
      eventType: b.eventType ?? (b.type as string),
      flowId: b.flowId,
      timestamp: b.timestamp,
      data: b.data ?? {},
      subscriptionId: m.verified?.subscriptionId,
    }),
  }),
];
