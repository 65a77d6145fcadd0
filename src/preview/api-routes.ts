// The preview door of the control API: start an activation (202, or the final state with
// ?wait=), read it, list its eligible or excluded contacts, and the DNC list.
import { z } from 'zod';
import { ErrorCode } from '../errors.ts';
import { defineRoute, type ApiRouter } from '../ingress/api/router.ts';
import { HttpError } from '../ingress/http-error.ts';
import { OUTCOMES } from '../domain/preview/eligibility.ts';
import type { PreviewServices } from './services.ts';

const idParams = z.object({ id: z.string().min(1).max(200) });
const contactsQuery = z.object({
  excluded: z.enum(['true', 'false']).optional(),
  reason: z.enum(OUTCOMES).exclude(['eligible']).optional(),
  offset: z.coerce.number().int().min(0).default(0),
  count: z.coerce.number().int().min(1).max(10_000).default(1000),
});
const dncBody = z.object({ numbers: z.array(z.object({ number: z.string().min(1).max(64), reason: z.string().max(200).optional() }).strict()).min(1).max(10_000), source: z.string().min(1).max(100).default('api') }).strict();
const listQuery = z.object({ offset: z.coerce.number().int().min(0).default(0), count: z.coerce.number().int().min(1).max(1000).default(100) });

export function registerPreviewRoutes(api: ApiRouter, svc: PreviewServices): void {
  const mustGet = async (id: string) => {
    const r = await svc.status(id);
    if (!r) throw new HttpError(ErrorCode.NotFound, `no preview activation ${id}`);
    return r;
  };
  api.route(
    defineRoute({
      method: 'post',
      path: '/campaigns/previews',
      summary: 'Validate a preview spec and enqueue its activation; ?wait=<s> (<= 60) answers with the final state',
      tags: ['preview'],
      body: z.record(z.string(), z.unknown()),
      query: z.object({ wait: z.coerce.number().int().min(0).max(60).optional() }),
      handler: async ({ body, query, requestId }) => {
        const checked = svc.validateObject(body);
        if (!checked.ok) throw new HttpError(ErrorCode.Validation, `invalid spec: ${checked.errors.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`, { in: 'body', issues: checked.errors });
        const started = await svc.activate(checked.value, { requestId });
        if (!query.wait) return { status: 202, body: { ...started, payload: checked.value.payload } };
        const r = await svc.wait(started.activationId, query.wait * 1000);
        if (r?.status === 'failed') throw new HttpError(ErrorCode.ActivationFailed, r.error ?? 'preview activation failed', { activationId: started.activationId, errorCode: r.errorCode });
        return { status: r?.status === 'active' ? 200 : 202, body: { ...started, state: r } };
      },
    }),
  );
  api.route(
    defineRoute({
      method: 'get',
      path: '/campaigns/previews/:id',
      summary: 'State of a preview activation (by activation id or campaign id): step, counts per exclusion reason, version, confirmation',
      tags: ['preview'],
      params: idParams,
      handler: async ({ params }) => ({ status: 200, body: await mustGet(params.id) }),
    }),
  );
  api.route(
    defineRoute({
      method: 'get',
      path: '/campaigns/previews/:id/contacts',
      summary: 'Eligible contact ids of an activation, or its excluded ones with their reasons (?excluded=true, ?reason=)',
      tags: ['preview'],
      params: idParams,
      query: contactsQuery,
      handler: async ({ params, query }) => {
        const r = await mustGet(params.id);
        return { status: 200, body: await svc.contacts(r.activationId, { ...query, excluded: query.excluded === 'true' }) };
      },
    }),
  );
  api.route(
    defineRoute({
      method: 'post',
      path: '/campaigns/dnc',
      summary: "Add numbers to the fleet's do-not-call list (any format; stored as E.164), effective fleet-wide at once",
      tags: ['preview'],
      body: dncBody,
      handler: async ({ body }) => ({ status: 200, body: await svc.dnc.add(body.numbers, body.source) }),
    }),
  );
  api.route(
    defineRoute({
      method: 'get',
      path: '/campaigns/dnc',
      summary: "The fleet's do-not-call list, in number order",
      tags: ['preview'],
      query: listQuery,
      handler: async ({ query }) => ({ status: 200, body: { total: await svc.dnc.count(), data: await svc.dnc.list(query.offset, query.count) } }),
    }),
  );
}
