// The flows door of the control API: validate and simulate (pure), publish (422 with every
// problem and nothing enqueued, else 202 with the publish id), the publish's status, a
// flow's revisions and events, and the event subscription (its secret by reference only:
// an inline secret is refused with a 400 before anything reads it).
import { z } from 'zod';
import type { ValidateResult } from '../domain/flows/check-flow.ts';
import { ErrorCode, FleetError } from '../errors.ts';
import { defineRoute, type ApiRouter } from '../ingress/api/router.ts';
import { HttpError } from '../ingress/http-error.ts';
import type { FlowServices } from './services.ts';
import type { SubscribeRequest, SubscriptionRecord } from './subscriptions.ts';

export interface FlowRouteDeps {
  services: FlowServices;
  /** Registers an event subscription with CXone (the ingress's CXone account). */
  subscribe(req: SubscribeRequest): Promise<SubscriptionRecord>;
}

const flowBody = z.record(z.string(), z.unknown(), 'the flow, as a JSON object');
const nameParams = z.object({ name: z.string().min(1).max(200) });
const idParams = z.object({ id: z.string().min(1).max(200) });

/** BigInt path counts go out as decimal strings. */
const pathsText = (p: bigint | null) => (p === null ? null : p.toString());

function checkBody(r: ValidateResult) {
  return { valid: r.valid, errors: r.errors, warnings: r.warnings, depth: r.depth, paths: pathsText(r.paths), problems: r.problems };
}

const invalid = (r: ValidateResult, message: string) =>
  new HttpError(ErrorCode.FlowInvalid, message, { problems: r.problems, errors: r.errors, warnings: r.warnings });

function refuseInlineSecret(body: Record<string, unknown>): void {
  if (body.secret !== undefined) {
    throw new HttpError(ErrorCode.Validation, 'invalid body: secret: secrets are not accepted over HTTP; use secretEnv', {
      in: 'body',
      issues: [{ path: 'secret', message: 'secrets are not accepted over HTTP; use secretEnv' }],
    });
  }
}

export function registerFlowRoutes(api: ApiRouter, deps: FlowRouteDeps): void {
  const svc = deps.services;
  api.route(
    defineRoute({
      method: 'post',
      path: '/flows/validate',
      summary: 'Check a flow: every problem at once as {path, code, message, severity}, its depth and path count',
      tags: ['flows'],
      body: z.object({ flow: flowBody, strict: z.boolean().default(false) }).strict(),
      handler: ({ body }) => ({ status: 200, body: checkBody(svc.validate(body.flow, { strict: body.strict })) }),
    }),
  );
  api.route(
    defineRoute({
      method: 'post',
      path: '/flows/simulate',
      summary: 'Walk a flow for a sequence of caller inputs (keys, timeout, invalid) and answer the path and terminal',
      tags: ['flows'],
      body: z.object({ flow: flowBody, inputs: z.array(z.string().min(1).max(32)).max(1000).default([]) }).strict(),
      handler: ({ body }) => {
        const { check, walk } = svc.simulate(body.flow, body.inputs);
        if (!walk) throw invalid(check, `the flow has ${check.errors} error(s); fix them before simulating`);
        return { status: 200, body: { ...checkBody(check), walk } };
      },
    }),
  );
  api.route(
    defineRoute({
      method: 'post',
      path: '/flows',
      summary: 'Publish a flow: 422 with every problem (nothing enqueued), else 202 and the publish id to follow',
      tags: ['flows'],
      body: z.object({ flow: flowBody, message: z.string().max(500).optional(), force: z.boolean().default(false) }).strict(),
      responses: { 202: { description: 'publish enqueued' }, 422: { description: 'the flow has errors: error.details.problems lists every one' } },
      handler: async ({ body, requestId }) => {
        try {
          const r = await svc.publish(body.flow, { message: body.message, force: body.force, requestId });
          return { status: 202, body: { ...r, status: 'queued', statusUrl: `/api/flows/publishes/${r.publishId}` } };
        } catch (err) {
          if (err instanceof FleetError && err.code === ErrorCode.FlowInvalid) {
            throw new HttpError(ErrorCode.FlowInvalid, err.message, err.details);
          }
          throw err;
        }
      },
    }),
  );
  // The two reads: a record by its key, or 404 naming what is missing.
  const read = <T>(path: string, summary: string, params: z.ZodType<Record<string, string>>, load: (p: Record<string, string>) => Promise<T | undefined>, missing: (p: Record<string, string>) => string) =>
    api.route(
      defineRoute({
        method: 'get',
        path,
        summary,
        tags: ['flows'],
        params,
        handler: async (ctx) => {
          const found = await load(ctx.params);
          if (found === undefined) throw new HttpError(ErrorCode.NotFound, missing(ctx.params));
          return { status: 200, body: found };
        },
      }),
    );
  read(
    '/flows/publishes/:id',
    'One publish: status (queued, running, completed, unchanged, failed), its steps, CXone job and flow ids, errors',
    idParams,
    (p) => svc.publishStatus(p.id as string),
    (p) => `no publish ${p.id}`,
  );
  read(
    '/flows/:name',
    "A flow's latest revision, every revision (content hash, message, time, CXone job and flow ids) and its recent events",
    nameParams,
    (p) => svc.overview(p.name as string),
    (p) => `no published flow named "${p.name}"`,
  );
  api.route(
    defineRoute({
      method: 'post',
      path: '/flows/subscriptions',
      summary: 'Register the flow.* event subscription with CXone (409 = already there); the secret by reference (secretEnv) only',
      tags: ['flows'],
      body: z.record(z.string(), z.unknown()),
      handler: async ({ body }) => {
        refuseInlineSecret(body);
        const parsed = z
          .object({ url: z.string().min(1).max(2048), secretEnv: z.string().min(1).max(200), eventTypes: z.array(z.string()).max(10).optional() })
          .strict()
          .safeParse(body);
        if (!parsed.success) {
          const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
          throw new HttpError(ErrorCode.Validation, `invalid body: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { in: 'body', issues });
        }
        const r = await deps.subscribe(parsed.data);
        return { status: r.created ? 201 : 200, body: r };
      },
    }),
  );
}
