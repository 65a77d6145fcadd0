// POST /api/v2/message/sms/send: validation, Idempotency-Key, per-recipient counts and the
// delivery-status webhooks CXone sends afterwards. The counters exist so tests can assert
// "every recipient got exactly one message" across retries, crashes and duplicates.
// GET /api/v2/message/sms/{id} answers a message's status (its final one, whether or not
// its webhook got through) and GET /api/v2/message/sms?idempotencyKey=K finds the message
// a send with that key made; real CXone may lack both (an endpoint map entry of null).
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { WebhookMix } from './config.ts';
import { HttpProblem, headerValue, parseJsonBody } from './http-io.ts';
import type { SimResponse } from './http-io.ts';
import { SCOPES } from './scopes.ts';
import type { ModuleDeps, RouteContext, SimModule } from './sim-module.ts';
import type { EventFactory } from './webhook-sender.ts';

const E164 = /^\+[1-9]\d{1,14}$/;

export const smsSendBodySchema = z.object({
  to: z.array(z.string().regex(E164, 'must be an E.164 number such as +15551234567')).min(1).max(1000),
  from: z.string().min(1),
  text: z.string().min(1).max(1600),
  campaignId: z.string().min(1),
  webhookUrl: z.url({ protocol: /^https?$/ }).optional(),
  segmentation: z.object({ enabled: z.boolean() }).optional(),
});

export const SmsStatus = {
  Queued: 'queued',
  Sent: 'sent',
  Delivered: 'delivered',
  Undelivered: 'undelivered',
  Failed: 'failed',
} as const;
export type SmsStatus = (typeof SmsStatus)[keyof typeof SmsStatus];

const STATUS_ORDER: readonly SmsStatus[] = Object.values(SmsStatus);
const DEFAULT_MIX: WebhookMix = { delivered: 0.9, undelivered: 0.1 };
const STATUS_ERRORS: Partial<Record<SmsStatus, { code: string; message: string }>> = {
  undelivered: { code: '30003', message: 'Unreachable destination handset' },
  failed: { code: '30008', message: 'Unknown error' },
};

/** Weighted pick of the final status; `r` is uniform in [0, 1). */
export function pickStatus(mix: WebhookMix | undefined, r: number): SmsStatus {
  const weights = mix ?? DEFAULT_MIX;
  const total = STATUS_ORDER.reduce((s, k) => s + (weights[k] ?? 0), 0);
  if (total <= 0) return SmsStatus.Delivered;
  let x = r * total;
  let last: SmsStatus = SmsStatus.Delivered;
  for (const k of STATUS_ORDER) {
    const w = weights[k] ?? 0;
    if (w <= 0) continue;
    last = k;
    if (x < w) return k;
    x -= w;
  }
  return last;
}

// Bounded so a benchmark of millions of sends cannot exhaust memory; the oldest keys go
// first, long after any client would still be retrying them.
const IDEMPOTENCY_MEMORY = 1_000_000;
const BY_RECIPIENT_SHOWN = 1000;
const MAX_KEY_LENGTH = 255;

/**
 * Accepted sends per second over the span from the first acceptance to the last (the
 * intervals between them, hence accepted - 1); 0 before there are two.
 */
export function acceptedRatePerS(s: Pick<SmsStats, 'accepted' | 'firstAcceptedAt' | 'lastAcceptedAt'>): number {
  const { firstAcceptedAt: a, lastAcceptedAt: b } = s;
  return a !== null && b !== null && b > a ? (s.accepted - 1) / ((b - a) / 1000) : 0;
}

export interface SmsStats {
  accepted: number;
  duplicates: number;
  /** 400s: invalid body. */
  rejected: number;
  /** Accepted sends that carried no Idempotency-Key. */
  withoutIdempotencyKey: number;
  firstAcceptedAt: number | null;
  lastAcceptedAt: number | null;
  /** Recipient deliveries requested (sum of `to` over accepted sends). */
  recipientSends: number;
  distinctRecipients: number;
  /** Recipients that were sent to more than once. */
  repeatedRecipients: number;
  maxSendsPerRecipient: number;
  /** Sends per recipient, for the first 1000 distinct recipients. */
  byRecipient: Record<string, number>;
  byRecipientTruncated: boolean;
  /** Final statuses chosen for the delivery webhooks. */
  finalStatuses: Partial<Record<SmsStatus, number>>;
  /** Message status reads (GET by id) and lookups by idempotency key. */
  statusReads: number;
  lookups: number;
}

function freshState() {
  return {
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    withoutKey: 0,
    firstAcceptedAt: null as number | null,
    lastAcceptedAt: null as number | null,
    recipientSends: 0,
    repeated: 0,
    maxPerRecipient: 0,
    byRecipient: new Map<string, number>(),
    idempotency: new Map<string, string>(),
    messages: new Map<string, StoredMessage>(),
    finalStatuses: new Map<SmsStatus, number>(),
    statusReads: 0,
    lookups: 0,
  };
}

interface StoredMessage {
  accountId: string;
  to: string;
  status: SmsStatus;
  acceptedAt: number;
}

/** Bounded like the idempotency memory: the oldest entry goes first. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.size >= IDEMPOTENCY_MEMORY) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
  map.set(key, value);
}

export function createSmsModule(deps: ModuleDeps): SimModule & { stats(): SmsStats } {
  let s = freshState();

  function statusEvent(messageId: string, to: string, status: SmsStatus): EventFactory {
    const error = STATUS_ERRORS[status];
    return () => ({
      eventId: randomUUID(),
      messageId,
      status,
      to,
      timestamp: new Date().toISOString(),
      ...(error ? { error } : {}),
    });
  }

  // The final status of each recipient is CXone's truth from acceptance on; the webhooks
  // (if any) report it, and the status read answers it even when a webhook was dropped.
  function scheduleWebhooks(messageId: string, to: readonly string[], finals: readonly SmsStatus[], urlOverride: string | undefined): void {
    const cfg = deps.config.current.webhooks;
    if (!urlOverride && !cfg) return;
    const chains = to.map((recipient, i) => {
      const final = finals[i] ?? SmsStatus.Delivered;
      s.finalStatuses.set(final, (s.finalStatuses.get(final) ?? 0) + 1);
      const chain: EventFactory[] = [];
      if (cfg?.intermediateSent && (final === SmsStatus.Delivered || final === SmsStatus.Undelivered)) {
        chain.push(statusEvent(messageId, recipient, SmsStatus.Sent));
      }
      chain.push(statusEvent(messageId, recipient, final));
      return chain;
    });
    deps.webhooks.dispatch(urlOverride, chains);
  }

  function countRecipients(to: readonly string[]): void {
    for (const r of to) {
      const n = (s.byRecipient.get(r) ?? 0) + 1;
      s.byRecipient.set(r, n);
      if (n === 2) s.repeated++;
      if (n > s.maxPerRecipient) s.maxPerRecipient = n;
    }
    s.recipientSends += to.length;
  }

  function send(ctx: RouteContext): SimResponse {
    let body: z.output<typeof smsSendBodySchema>;
    try {
      body = parseJsonBody(ctx.body, smsSendBodySchema);
    } catch (err) {
      if (err instanceof HttpProblem) s.rejected++;
      throw err;
    }
    const key = headerValue(ctx.req.headers['idempotency-key']);
    if (key !== undefined && (key.length === 0 || key.length > MAX_KEY_LENGTH)) {
      s.rejected++;
      throw new HttpProblem(400, {
        error: 'validation',
        details: [{ field: 'Idempotency-Key', message: `must be 1..${MAX_KEY_LENGTH} characters` }],
      });
    }
    // Keys are scoped per account: two tenants may well pick the same key.
    const scopedKey = key === undefined ? undefined : `${ctx.auth.accountId}\u0000${key}`;
    if (scopedKey !== undefined) {
      const prior = s.idempotency.get(scopedKey);
      if (prior !== undefined) {
        s.duplicates++;
        return { status: 202, body: { id: prior } };
      }
    }

    const id = randomUUID();
    if (scopedKey !== undefined) remember(s.idempotency, scopedKey, id);
    else s.withoutKey++;

    s.accepted++;
    const at = Math.floor(ctx.now);
    s.firstAcceptedAt ??= at;
    s.lastAcceptedAt = at;
    countRecipients(body.to);
    const finals = body.to.map(() => pickStatus(deps.config.current.webhooks?.mix, Math.random()));
    remember(s.messages, id, { accountId: ctx.auth.accountId, to: body.to[0] ?? '', status: finals[0] ?? SmsStatus.Delivered, acceptedAt: at });
    scheduleWebhooks(id, body.to, finals, body.webhookUrl);
    return { status: 202, body: { id } };
  }

  function describe(id: string, m: StoredMessage): SimResponse {
    const error = STATUS_ERRORS[m.status];
    return { status: 200, body: { id, status: m.status, to: m.to, timestamp: new Date(m.acceptedAt).toISOString(), ...(error ? { error } : {}) } };
  }

  const unknownMessage = (what: string): HttpProblem => new HttpProblem(404, { error: 'not_found', message: `no message ${what}` });

  function status(ctx: RouteContext): SimResponse {
    s.statusReads++;
    const id = ctx.params.id ?? '';
    const m = s.messages.get(id);
    // Another account's message does not exist for this one.
    if (!m || m.accountId !== ctx.auth.accountId) throw unknownMessage(`with id ${id}`);
    return describe(id, m);
  }

  function lookup(ctx: RouteContext): SimResponse {
    s.lookups++;
    const key = ctx.query.get('idempotencyKey');
    if (!key) throw new HttpProblem(400, { error: 'validation', details: [{ field: 'idempotencyKey', message: 'required query parameter' }] });
    const id = s.idempotency.get(`${ctx.auth.accountId}\u0000${key}`);
    const m = id === undefined ? undefined : s.messages.get(id);
    if (id === undefined || !m) throw unknownMessage('sent with that idempotency key');
    return describe(id, m);
  }

  const routes = [
    { endpoint: deps.endpoints.smsSend, scope: SCOPES.smsSend, handle: send },
    { endpoint: deps.endpoints.smsStatus, scope: SCOPES.smsRead, handle: status },
    { endpoint: deps.endpoints.smsLookup, scope: SCOPES.smsRead, handle: lookup },
  ].filter((r) => !r.endpoint.disabled);

  return {
    name: 'sms',
    routes,
    stats(): SmsStats {
      const byRecipient: Record<string, number> = {};
      let shown = 0;
      for (const [r, n] of s.byRecipient) {
        if (shown++ >= BY_RECIPIENT_SHOWN) break;
        byRecipient[r] = n;
      }
      return {
        accepted: s.accepted,
        duplicates: s.duplicates,
        rejected: s.rejected,
        withoutIdempotencyKey: s.withoutKey,
        firstAcceptedAt: s.firstAcceptedAt,
        lastAcceptedAt: s.lastAcceptedAt,
        recipientSends: s.recipientSends,
        distinctRecipients: s.byRecipient.size,
        repeatedRecipients: s.repeated,
        maxSendsPerRecipient: s.maxPerRecipient,
        byRecipient,
        byRecipientTruncated: s.byRecipient.size > BY_RECIPIENT_SHOWN,
        finalStatuses: Object.fromEntries(s.finalStatuses),
        statusReads: s.statusReads,
        lookups: s.lookups,
      };
    },
    reset() {
      s = freshState();
    },
  };
}
