// The control API's own routes: the OpenAPI document, webhook rejections and dead letters.
import { z } from 'zod';
import { countDeadLetters, listDeadLetters, redriveDeadLetters, type ReplayGuard } from '../../dead-letters.ts';
import type { QueueSet } from '../../queues/queue-set.ts';
import { ALL_QUEUE_KEYS, QUEUES, queueKeyByName, type QueueKey } from '../../queues/registry.ts';
import { ErrorCode } from '../../errors.ts';
import { HttpError } from '../http-error.ts';
import { maskJobData } from '../../mask.ts';
import { buildOpenApi } from '../openapi.ts';
import { REJECTION_REASONS, type RejectionStore } from '../rejections.ts';
import { WEBHOOK_KINDS } from '../../platform/modules.ts';
import { defineRoute, type ApiRouter } from './router.ts';

/** Accepts a registry key (smsStatus) or a wire name (sms-status). */
export function resolveQueue(name: string): QueueKey {
  if ((ALL_QUEUE_KEYS as string[]).includes(name)) return name as QueueKey;
  const key = queueKeyByName(name);
  if (!key) throw new HttpError(ErrorCode.NotFound, `no queue named ${name}`, { queues: ALL_QUEUE_KEYS.map((k) => QUEUES[k].name) });
  return key;
}

/** An ISO date or epoch milliseconds. */
const sinceText = z
  .string()
  .max(40)
  .transform((s, ctx) => {
    const ms = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: 'custom', message: 'an ISO date or epoch milliseconds' });
      return z.NEVER;
    }
    return ms;
  });
const since = z.union([z.number().int().nonnegative(), sinceText]);
const limit = z.coerce.number().int().min(1).max(1_000);
const queueParams = z.object({ queue: z.string().min(1).max(100) });

export function registerControlRoutes(api: ApiRouter, deps: {
    queues: QueueSet;
    rejections: RejectionStore;
    version: string;
    /** What a queue's replay must do first (sms-send reopens the message), as the CLI does. */
    replayGuard?: (key: QueueKey) => Promise<ReplayGuard | undefined>;
  }): void {
  api.route(
    defineRoute({
      method: 'get',
      path: '/openapi.json',
      summary: 'This OpenAPI document',
      tags: ['meta'],
      handler: () => ({ status: 200, body: buildOpenApi(api.routes(), WEBHOOK_KINDS, { title: 'cxone-fleet control API', version: deps.version }) }),
    }),
  );

  api.route(
    defineRoute({
      method: 'get',
      path: '/webhooks/rejections',
      summary: 'Refused webhooks, newest first, with counts per reason',
      tags: ['webhooks'],
      query: z.object({ limit: limit.optional(), reason: z.enum(REJECTION_REASONS).optional(), since: since.optional() }),
      handler: async ({ query }) => {
        const [items, counts] = await Promise.all([deps.rejections.list(query), deps.rejections.counts()]);
        const total = Object.values(counts).reduce((a, b) => a + b, 0);
        return { status: 200, body: { items, counts, total } };
      },
    }),
  );

  api.route(
    defineRoute({
      method: 'get',
      path: '/dlq',
      summary: 'Dead-letter count of every queue',
      tags: ['dlq'],
      handler: async () => {
        const counts = await Promise.all(ALL_QUEUE_KEYS.map(async (k) => [QUEUES[k].name, await countDeadLetters(deps.queues, k)] as const));
        return { status: 200, body: { queues: Object.fromEntries(counts) } };
      },
    }),
  );

  api.route(
    defineRoute({
      method: 'get',
      path: '/dlq/:queue',
      summary: 'Dead letters of a queue (failed for good), newest first; job data masked',
      tags: ['dlq'],
      params: queueParams,
      query: z.object({ limit: limit.optional(), since: since.optional() }),
      handler: async ({ params, query }) => {
        const key = resolveQueue(params.queue);
        const [items, count] = await Promise.all([listDeadLetters(deps.queues, key, query), countDeadLetters(deps.queues, key)]);
        return { status: 200, body: { queue: QUEUES[key].name, count, items: items.map((i) => ({ ...i, data: maskJobData(i.data) })) } };
      },
    }),
  );

  api.route(
    defineRoute({
      method: 'post',
      path: '/dlq/:queue/replay',
      summary: 'Re-drive the dead letters of a queue (attempts reset); sms-send re-sends failed/unknown messages with their idempotency key',
      tags: ['dlq'],
      params: queueParams,
      body: z
        .object({ since: since.optional(), limit: limit.optional(), ids: z.array(z.string().min(1).max(200)).max(1_000).optional(), dryRun: z.boolean().optional() })
        .strict()
        .optional(),
      handler: async ({ params, body }) => {
        const key = resolveQueue(params.queue);
        const report = await redriveDeadLetters(deps.queues, key, { ...body, guard: await deps.replayGuard?.(key) });
        return { status: 200, body: report };
      },
    }),
  );
}
