// The email door of the control API. Specs over HTTP carry secrets only as references
// (smtp.passwordEnv, dkim.privateKeyFile relative to the configured secrets directory):
// an inline password or key is refused with a 400 naming the field, before anything reads it.
import { z } from 'zod';
import { defineRoute, type ApiRouter } from '../ingress/api/router.ts';
import { ErrorCode } from '../errors.ts';
import { HttpError } from '../ingress/http-error.ts';
import type { EmailServices } from './services.ts';
import { loadChannelSpec } from './spec-store.ts';

export interface EmailRouteDeps {
  services: EmailServices;
  /** Directory that dkim.privateKeyFile is resolved in (the ingress's and workers' secret mount). */
  secretsDir: string;
  /** Environment that smtp.passwordEnv is checked in (process.env in production). */
  env: Record<string, string | undefined>;
}

const ms = z.coerce.number().int().min(1).max(7 * 24 * 3_600_000);
const provisionQuery = z.object({
  pollBaseMs: ms.optional(),
  pollMaxMs: ms.optional(),
  activationTimeoutMs: ms.optional(),
  healthEveryMs: z.coerce.number().int().min(0).max(7 * 24 * 3_600_000).optional(),
});
const nameParams = z.object({ name: z.string().min(1).max(200) });
const addressParams = z.object({ address: z.string().min(3).max(320) });
const listQuery = z.object({ offset: z.coerce.number().int().min(0).default(0), count: z.coerce.number().int().min(1).max(1000).default(100) });

const notFound = (message: string) => new HttpError(ErrorCode.NotFound, message);

function refuseInlineSecrets(body: Record<string, unknown>): void {
  const issues: { path: string; message: string }[] = [];
  const smtp = body.smtp as Record<string, unknown> | undefined;
  const dkim = body.dkim as Record<string, unknown> | undefined;
  if (smtp && typeof smtp === 'object' && smtp.password !== undefined) issues.push({ path: 'smtp.password', message: 'secrets are not accepted over HTTP; use smtp.passwordEnv' });
  if (dkim && typeof dkim === 'object' && dkim.privateKey !== undefined) issues.push({ path: 'dkim.privateKey', message: 'secrets are not accepted over HTTP; use dkim.privateKeyFile' });
  if (issues.length > 0) throw new HttpError(ErrorCode.Validation, `invalid body: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { in: 'body', issues });
}

export function registerEmailRoutes(api: ApiRouter, deps: EmailRouteDeps): void {
  const svc = deps.services;
  api.route(
    defineRoute({
      method: 'post',
      path: '/email/channels',
      summary: 'Validate a channel spec (JSON, secrets as references only) and enqueue its provisioning',
      tags: ['email'],
      body: z.record(z.string(), z.unknown()),
      query: provisionQuery,
      handler: async ({ body, query, requestId }) => {
        refuseInlineSecrets(body);
        const loaded = await loadChannelSpec({ text: JSON.stringify(body), format: 'json', baseDir: deps.secretsDir, env: deps.env });
        if (!loaded.ok) {
          throw new HttpError(ErrorCode.Validation, `invalid spec: ${loaded.errors.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`, { in: 'body', issues: loaded.errors, warnings: loaded.warnings });
        }
        const r = await svc.provision(loaded.spec, deps.secretsDir, { ...query, requestId });
        return { status: 202, body: { ...r, warnings: loaded.spec.warnings, dns: loaded.spec.check.dns } };
      },
    }),
  );
  api.route(
    defineRoute({
      method: 'get',
      path: '/email/channels/:name',
      summary: 'Provisioning step states, sender health and pause state of a channel',
      tags: ['email'],
      params: nameParams,
      handler: async ({ params }) => {
        const status = await svc.status(params.name);
        if (!status) throw notFound(`no provisioned channel named "${params.name}"`);
        return { status: 200, body: status };
      },
    }),
  );
  api.route(
    defineRoute({
      method: 'post',
      path: '/email/channels/:name/resume',
      summary: 'Resume sends through a channel paused by its sender health',
      tags: ['email'],
      params: nameParams,
      handler: async ({ params }) => {
        if (!(await svc.state.get(params.name))) throw notFound(`no provisioned channel named "${params.name}"`);
        return { status: 200, body: { resumed: await svc.resume(params.name) } };
      },
    }),
  );
  api.route(
    defineRoute({
      method: 'get',
      path: '/email/suppressions',
      summary: 'Suppressed addresses, soonest expiry first',
      tags: ['email'],
      query: listQuery,
      handler: async ({ query }) => ({ status: 200, body: await svc.suppressions.list(query.offset, query.count) }),
    }),
  );
  api.route(
    defineRoute({
      method: 'delete',
      path: '/email/suppressions/:address',
      summary: 'Lift the suppression of an address (its bounce counts are forgotten too)',
      tags: ['email'],
      params: addressParams,
      handler: async ({ params }) => {
        if (!(await svc.suppressions.remove(params.address))) throw notFound(`${params.address} is not suppressed`);
        return { status: 200, body: { removed: true } };
      },
    }),
  );
}
