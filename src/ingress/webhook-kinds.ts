// What a webhook kind is: route, body schema, queue, and how a body becomes job data. Each
// domain declares its kinds with defineKind (src/<domain>/webhooks.ts) in its module.
// Body schemas are loose (CXone may add fields; they travel in `extra`) but strict on the
// types of the fields we know, mirroring the queue payload limits so a 400 names the field.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import type { Config } from '../config.ts';
import type { Enqueuer, EnqueueOptions } from '../queues/enqueue.ts';
import type { RedisConnection } from '../redis.ts';
import type { RejectionReason } from './rejections.ts';
import type { InputOf, QueueKey } from '../queues/registry.ts';

/** A CXone identifier as a webhook body carries it. */
export const webhookId = z.string().min(1).max(200);
/** Event ids are often numeric in JSON; both forms name the same event. */
export const eventIdField = z.union([webhookId, z.number().int().nonnegative()]).optional();

export interface EventMeta {
  accountId: string;
  requestId: string;
  eventId: string;
  receivedAt: number;
  extra: Record<string, unknown> | undefined;
  /** What the kind's own signature check learned (which subscription signed the delivery). */
  verified?: Record<string, string>;
}

/** A kind's own signature check: ok with what it learned, or the rejection reason. */
export type WebhookVerdict = { ok: true; verified?: Record<string, string> } | { ok: false; reason: RejectionReason };

export interface VerifyContext {
  redis: RedisConnection;
  config: Config;
  req: IncomingMessage;
  raw: Buffer;
  nowMs: number;
}

/** The fields every webhook job carries, from the event's metadata. */
export function eventFields(m: EventMeta) {
  return { accountId: m.accountId, requestId: m.requestId, eventId: m.eventId, receivedAt: m.receivedAt, extra: m.extra };
}

export interface WebhookKind {
  readonly kind: string;
  readonly path: string;
  readonly queue: QueueKey;
  readonly summary: string;
  readonly body: z.ZodType<Record<string, unknown>>;
  /**
   * Checks the signature itself instead of with the ingress's WEBHOOK_SECRETS: for senders
   * that sign with a secret of their own per registration (flow event subscriptions).
   */
  verify?(ctx: VerifyContext): Promise<WebhookVerdict>;
  /** Builds the job data and adds it (the closure keeps the queue's payload type exact). */
  enqueue(enqueuer: Enqueuer, body: Record<string, unknown>, meta: Omit<EventMeta, 'extra'>, opts: EnqueueOptions): ReturnType<Enqueuer['enqueue']>;
}

export function defineKind<K extends QueueKey, S extends z.ZodType<Record<string, unknown>>>(def: {
  kind: string;
  path: string;
  queue: K;
  summary: string;
  body: S;
  known: readonly string[];
  verify?: WebhookKind['verify'];
  toPayload: (body: z.output<S>, meta: EventMeta) => InputOf<K>;
}): WebhookKind {
  const known = new Set(def.known);
  return {
    kind: def.kind,
    path: def.path,
    queue: def.queue,
    summary: def.summary,
    body: def.body,
    ...(def.verify ? { verify: def.verify } : {}),
    enqueue(enqueuer, body, meta, opts) {
      const rest = Object.entries(body).filter(([k]) => !known.has(k));
      const extra = rest.length > 0 ? Object.fromEntries(rest) : undefined;
      return enqueuer.enqueue(def.queue, def.toPayload(body as z.output<S>, { ...meta, extra }), opts);
    },
  };
}

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
