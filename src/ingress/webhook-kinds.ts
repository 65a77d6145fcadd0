// The table of webhook kinds: route, body schema, queue, and how a body becomes job data.
// Body schemas are loose (CXone may add fields; they travel in `extra`) but strict on the
// types of the fields we know, mirroring the queue payload limits so a 400 names the field.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Enqueuer, EnqueueOptions } from '../queues/enqueue.ts';
import { SMS_STATUSES } from '../queues/payloads.ts';
import type { InputOf, QueueKey } from '../queues/registry.ts';

const id = z.string().min(1).max(200);
/** Event ids are often numeric in JSON; both forms name the same event. */
const eventIdField = z.union([id, z.number().int().nonnegative()]).optional();
const record = z.record(z.string(), z.unknown());

export interface EventMeta {
  accountId: string;
  requestId: string;
  eventId: string;
  receivedAt: number;
  extra: Record<string, unknown> | undefined;
}

export interface WebhookKind {
  readonly kind: string;
  readonly path: string;
  readonly queue: QueueKey;
  readonly summary: string;
  readonly body: z.ZodType<Record<string, unknown>>;
  /** Builds the job data and adds it (the closure keeps the queue's payload type exact). */
  enqueue(enqueuer: Enqueuer, body: Record<string, unknown>, meta: Omit<EventMeta, 'extra'>, opts: EnqueueOptions): ReturnType<Enqueuer['enqueue']>;
}

function defineKind<K extends QueueKey, S extends z.ZodType<Record<string, unknown>>>(def: {
  kind: string;
  path: string;
  queue: K;
  summary: string;
  body: S;
  known: readonly string[];
  toPayload: (body: z.output<S>, meta: EventMeta) => InputOf<K>;
}): WebhookKind {
  const known = new Set(def.known);
  return {
    kind: def.kind,
    path: def.path,
    queue: def.queue,
    summary: def.summary,
    body: def.body,
    enqueue(enqueuer, body, meta, opts) {
      const rest = Object.entries(body).filter(([k]) => !known.has(k));
      const extra = rest.length > 0 ? Object.fromEntries(rest) : undefined;
      return enqueuer.enqueue(def.queue, def.toPayload(body as z.output<S>, { ...meta, extra }), opts);
    },
  };
}

/** `eventType` is the documented name; some CXone deliveries say `type`. */
function requireEventType(body: { eventType?: string | undefined; type?: string | undefined }, ctx: z.RefinementCtx): void {
  if (body.eventType === undefined && body.type === undefined) {
    ctx.addIssue({ code: 'custom', path: ['eventType'], message: 'Required (eventType or type)' });
  }
}

const eventType = z.string().min(1).max(200).optional();

/** Campaign and flow events have one shape; only the name of the entity's id differs. */
function entityEventKind<K extends 'campaignEvent' | 'flowEvent'>(o: {
  kind: string;
  path: string;
  queue: K;
  summary: string;
  entity: 'campaignId' | 'flowId';
}): WebhookKind {
  return defineKind({
    kind: o.kind,
    path: o.path,
    queue: o.queue,
    summary: o.summary,
    body: z
      .looseObject({
        eventId: eventIdField,
        id: eventIdField,
        eventType,
        type: eventType,
        [o.entity]: id,
        timestamp: z.string().min(1).max(64),
        data: record.optional(),
      })
      .superRefine(requireEventType),
    known: ['eventId', 'id', 'eventType', 'type', o.entity, 'timestamp', 'data'],
    toPayload: (b, m) =>
      ({
        accountId: m.accountId,
        requestId: m.requestId,
        eventId: m.eventId,
        eventType: (b.eventType ?? b.type)!,
        [o.entity]: b[o.entity],
        timestamp: b.timestamp,
        data: b.data ?? {},
        receivedAt: m.receivedAt,
        extra: m.extra,
      }) as InputOf<K>,
  });
}

export const WEBHOOK_KINDS: readonly WebhookKind[] = [
  defineKind({
    kind: 'sms-status',
    path: '/webhooks/sms/status',
    queue: 'smsStatus',
    summary: 'SMS delivery status',
    body: z.looseObject({
      eventId: eventIdField,
      id: eventIdField,
      messageId: id,
      status: z.enum(SMS_STATUSES),
      to: z.string().max(64).optional(),
      timestamp: z.string().min(1).max(64),
      error: z.looseObject({ code: z.string().optional(), message: z.string().optional() }).optional(),
    }),
    known: ['eventId', 'id', 'messageId', 'status', 'to', 'timestamp', 'error'],
    toPayload: (b, m) => ({
      accountId: m.accountId,
      requestId: m.requestId,
      eventId: m.eventId,
      messageId: b.messageId,
      status: b.status,
      to: b.to,
      timestamp: b.timestamp,
      error: b.error,
      receivedAt: m.receivedAt,
      extra: m.extra,
    }),
  }),
  defineKind({
    kind: 'email-bounce',
    path: '/webhooks/email/bounce',
    queue: 'emailBounce',
    summary: 'Email bounce',
    body: z.looseObject({
      eventId: eventIdField,
      id: eventIdField,
      channelId: id,
      messageId: id,
      bounceType: z.string().min(1).max(200),
      timestamp: z.string().min(1).max(64),
      recipient: z.string().max(320).optional(),
    }),
    known: ['eventId', 'id', 'channelId', 'messageId', 'bounceType', 'timestamp', 'recipient'],
    toPayload: (b, m) => ({
      accountId: m.accountId,
      requestId: m.requestId,
      eventId: m.eventId,
      channelId: b.channelId,
      messageId: b.messageId,
      recipient: b.recipient,
      bounceType: b.bounceType,
      timestamp: b.timestamp,
      receivedAt: m.receivedAt,
      extra: m.extra,
    }),
  }),
  entityEventKind({ kind: 'campaign-event', path: '/webhooks/campaigns/events', queue: 'campaignEvent', summary: 'Campaign event', entity: 'campaignId' }),
  entityEventKind({ kind: 'flow-event', path: '/webhooks/flows/events', queue: 'flowEvent', summary: 'Flow event', entity: 'flowId' }),
];

/** JSON with object keys sorted at every level: equal events hash equally however serialized. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The event's own id when it sent one, else a hash of its content. */
export function eventIdOf(body: Record<string, unknown>): string {
  const own = body.eventId ?? body.id;
  if (typeof own === 'string' || typeof own === 'number') return String(own);
  return `sha256-${sha256Hex(canonicalJson(body))}`;
}

// BullMQ refuses custom ids that are integers or contain ':' (its key separator), so an
// event id outside a plain alphabet is hashed; the kind prefix keeps ids readable.
const SAFE_ID = /^[A-Za-z0-9._-]{1,160}$/;

export function jobIdOf(kind: string, eventId: string): string {
  return `${kind}-${SAFE_ID.test(eventId) ? eventId : `h${sha256Hex(eventId)}`}`;
}
