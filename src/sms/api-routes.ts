// The SMS door of the control API: the same intake as the CLI and the library.
import { z } from 'zod';
import { canonicalJson, sha256Hex } from '../ingress/webhook-kinds.ts';
import { normalizePhone } from '../domain/sms/phone.ts';
import { ErrorCode } from '../errors.ts';
import { defineRoute, type ApiRouter } from '../ingress/api/router.ts';
import { HttpError } from '../ingress/http-error.ts';
import type { SmsServices } from './services.ts';

const MAX_MESSAGES = 10_000;

const batchBody = z.object({
  batchId: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'letters, digits, . _ - (1-100)').optional(),
  defaults: z.object({ from: z.string().optional(), campaignId: z.string().optional() }).optional(),
  messages: z.array(z.record(z.string(), z.unknown())).min(1).max(MAX_MESSAGES),
  allowRepeat: z.boolean().optional(),
});

/**
 * The batch of a request: a hash of the canonical body (keys sorted), with the
 * Idempotency-Key when there is one. A retried request is the same batch and sends nothing
 * new, also when the router has no answer to replay (the first try died, or answered an
 * error, before its answer was stored); a new key asks for a new batch, on purpose.
 */
export function batchIdFor(body: z.infer<typeof batchBody>, idempotencyKey: string | undefined): string {
  if (body.batchId) return body.batchId;
  if (idempotencyKey !== undefined) return `api-k${sha256Hex(`${idempotencyKey}\n${canonicalJson(body)}`).slice(0, 32)}`;
  return `api-h${sha256Hex(canonicalJson(body)).slice(0, 32)}`;
}

const consentBody = z.object({
  optIn: z.array(z.string()).max(100_000).default([]),
  optOut: z.array(z.string()).max(100_000).default([]),
  remove: z.array(z.string()).max(100_000).default([]),
});

const idParams = z.object({ id: z.string().min(1).max(200) });

export function registerSmsRoutes(api: ApiRouter, sms: SmsServices, opts: { defaultRegion: string }): void {
  api.route(
    defineRoute({
      method: 'post',
      path: '/sms/batches',
      summary:
        'Validate and enqueue an SMS batch; bad messages are reported per row. Without Idempotency-Key or batchId the batch id is a hash of the body, so the same body again sends nothing new (resumed counts what it had accepted)',
      tags: ['sms'],
      body: batchBody,
      handler: async ({ body, requestId, idempotencyKey }) => {
        const batchId = batchIdFor(body, idempotencyKey);
        const summary = await sms.intake.submit(
          body.messages.map((input, i) => ({ row: i + 1, input })),
          { batchId, defaults: body.defaults, requestId, allowRepeat: body.allowRepeat },
        );
        const rejections = await sms.store.getRejections(batchId, 0, 99);
        return { status: 202, body: { ...summary, rejections } };
      },
    }),
  );
  api.route(
    defineRoute({
      method: 'get',
      path: '/sms/batches/:id',
      summary: 'A batch: counts by state, rejected rows',
      tags: ['sms'],
      params: idParams,
      handler: async ({ params }) => {
        const batch = await sms.store.getBatch(params.id);
        if (!batch) throw new HttpError(ErrorCode.NotFound, `no batch ${params.id}`);
        return { status: 200, body: { ...batch, rejections: await sms.store.getRejections(params.id, 0, 99) } };
      },
    }),
  );
  api.route(
    defineRoute({
      method: 'get',
      path: '/sms/messages/:id',
      summary: 'One message: state, CXone id, encoding, segments, attempts, timestamps',
      tags: ['sms'],
      params: idParams,
      handler: async ({ params }) => {
        const msg = await sms.store.getMessage(params.id);
        if (!msg) throw new HttpError(ErrorCode.NotFound, `no message ${params.id}`);
        return { status: 200, body: msg };
      },
    }),
  );
  api.route(
    defineRoute({
      method: 'post',
      path: '/sms/consent',
      summary: 'Record opt-ins, opt-outs (an opt-out always wins) or forget numbers',
      tags: ['sms'],
      body: consentBody,
      handler: async ({ body }) => {
        const invalid: { number: string; reason: string }[] = [];
        const norm = (list: string[]) =>
          list.flatMap((n) => {
            const r = normalizePhone(n, opts.defaultRegion);
            if (r.ok) return [r.e164];
            invalid.push({ number: n, reason: r.reason });
            return [];
          });
        const result = {
          optedIn: await sms.consent.optIn(norm(body.optIn)),
          optedOut: await sms.consent.optOut(norm(body.optOut)),
          removed: await sms.consent.remove(norm(body.remove)),
          invalid,
        };
        return { status: 200, body: result };
      },
    }),
  );
}
