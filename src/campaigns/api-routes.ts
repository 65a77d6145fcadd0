// The campaigns door of the control API: launches (202, or `?wait=` seconds for the outcome),
// campaign, pacing, stop, summary and compliance views, and the seed's /orchestrate routes as
// compatible aliases. Producers never call CXone: every change is an operation job, every
// view is what the workers recorded; a wait reads those records up to its bound.
import { z } from 'zod';
import { ErrorCode, isErrorCode } from '../errors.ts';
import { defineRoute, type ApiRouter, type RouteDefinition } from '../ingress/api/router.ts';
import { HttpError } from '../ingress/http-error.ts';
import { PACING_POLICIES } from '../domain/campaigns/pacing.ts';
import { launchIdOfKey, launchOutcome, parseLaunchSpec, type CampaignServices, type JobWait } from './services.ts';

export interface CampaignRouteDeps {
  services: CampaignServices;
  /** The policy `{auto: true}` returns a campaign to (the fleet's PACING_POLICY). */
  defaultPolicy: (typeof PACING_POLICIES)[number];
}

/** The longest a request may hold its connection waiting for an outcome. */
export const MAX_WAIT_S = 120;
const SUMMARY_WAIT_MS = 15_000;
const TAG = ['campaigns'];

const id = z.string().trim().min(1).max(200);
const waitQuery = z.coerce.number().min(0).max(MAX_WAIT_S).optional().describe(`seconds to wait for the outcome (at most ${MAX_WAIT_S})`);
const ms = (max: number) => z.coerce.number().int().min(1).max(max).optional();
const launchQuery = z.object({ wait: waitQuery, pollIntervalMs: ms(3_600_000), pollJitterMs: z.coerce.number().int().min(0).max(3_600_000).optional(), startTimeoutMs: ms(7 * 24 * 3_600_000) });
const waitOnly = z.object({ wait: waitQuery });
const campaignParams = z.object({ id });
const launchParams = z.object({ id });
const pacingFields = {
  callsPerMinute: z.number().int().min(1).max(1000).optional(),
  auto: z.literal(true).optional().describe('back to automatic checks with the fleet policy (or `policy`)'),
  policy: z.enum(PACING_POLICIES).optional(),
};
const pacingBody = z
  .object(pacingFields)
  .strict()
  .refine((b) => b.callsPerMinute !== undefined || b.auto !== undefined || b.policy !== undefined, { message: 'give callsPerMinute, auto or policy' })
  .refine((b) => !(b.auto && b.callsPerMinute !== undefined), { message: 'callsPerMinute sets manual pacing; it cannot go with auto', path: ['auto'] });
const orchestratePacingBody = z
  .object({ campaignId: id, ...pacingFields })
  .strict()
  .refine((b) => b.callsPerMinute !== undefined || b.auto !== undefined || b.policy !== undefined, { message: 'give callsPerMinute, auto or policy' });
const summaryQuery = z.object({ refresh: z.enum(['true', 'false', '1', '0']).optional() });
const orchestrateSummaryQuery = summaryQuery.extend({ campaignId: id });

/** What each route (and its seed alias) answers, for the OpenAPI document. */
const RESPONSES = {
  launch: {
    200: { description: 'With ?wait: the campaign is RUNNING' },
    202: { description: 'Launch recorded and queued: {launchId, status: "launched"}' },
    409: { description: 'With ?wait: the campaign reached STOPPED (CAMPAIGN_STOPPED)' },
    422: { description: 'With ?wait: the contact list failed its checks (CONTACT_LIST_*)' },
    502: { description: 'With ?wait: CXone put the campaign in ERROR (CAMPAIGN_ERROR, with lastError) or refused a call' },
    504: { description: 'With ?wait: not settled within the wait' },
  },
  pacing: {
    200: { description: 'With ?wait: "Pacing adjusted successfully"' },
    202: { description: 'Queued' },
    404: { description: 'No campaign of that id launched by this fleet' },
    409: { description: 'The campaign is not running (CAMPAIGN_NOT_RUNNING)' },
    503: { description: 'The dialer breaker of the campaign is open (CIRCUIT_OPEN, Retry-After)' },
  },
  summary: {
    200: { description: 'The last statistics (totalCalls, answered, abandoned, avgTalkTime, connectRate) with asOf' },
    502: { description: 'CXone refused the statistics read ("summary returned status N")' },
    504: { description: 'No statistics within 15 s' },
  },
};

const notFound = (what: string) => new HttpError(ErrorCode.NotFound, what);
const untilS = (s: number | undefined) => Math.round((s ?? 0) * 1000);

export function registerCampaignRoutes(api: ApiRouter, deps: CampaignRouteDeps): void {
  const svc = deps.services;

  async function launch(body: unknown, query: z.output<typeof launchQuery>, idempotencyKey: string | undefined, requestId: string) {
    const spec = parseLaunchSpec(body);
    const launchId = idempotencyKey === undefined ? undefined : launchIdOfKey(idempotencyKey);
    const r = await svc.launch(spec, { launchId, requestId, pollIntervalMs: query.pollIntervalMs, pollJitterMs: query.pollJitterMs, startTimeoutMs: query.startTimeoutMs });
    if (query.wait === undefined) return { status: 202, body: { launchId: r.launchId, campaignId: r.record.campaignId, status: 'launched', launch: r.record.status } };
    const l = (await svc.awaitLaunch(r.launchId, untilS(query.wait)))!;
    const outcome = launchOutcome(l);
    if (!outcome.settled) throw new HttpError(ErrorCode.Deadline, `launch ${l.launchId} not settled after ${query.wait} s (${l.status}${l.cxoneStatus ? `, CXone ${l.cxoneStatus}` : ''})`, { launch: l });
    if (!outcome.ok) throw new HttpError(outcome.code, outcome.message, { launchId: l.launchId, campaignId: l.campaignId, lastError: l.lastError });
    return { status: 200, body: { launchId: l.launchId, campaignId: l.campaignId, status: 'RUNNING', launch: l } };
  }

  async function livePacing(campaignId: string) {
    const p = await svc.pacing.get(campaignId);
    if (!p) throw notFound(`no campaign ${campaignId} launched by this fleet`);
    if (p.status !== 'active') throw new HttpError(ErrorCode.CampaignNotRunning, `campaign ${campaignId} is ${p.status}: its pacing cannot change`);
    const breaker = await svc.breakers.view(campaignId);
    if (breaker.state === 'open') {
      const s = Math.max(1, Math.ceil(breaker.retryAfterMs / 1000));
      throw new HttpError(ErrorCode.CircuitOpen, 'Circuit breaker open', { campaignId, retryAfterS: s }, { 'Retry-After': String(s) });
    }
  }

  /** A queued operation's answer: 202 now, or with `wait` its result (200) or its error. */
  function operationAnswer(done: JobWait | undefined, jobId: string, campaignId: string, waitS: number | undefined) {
    if (!done) return { status: 202, body: { campaignId, jobId, status: 'queued' } };
    if (done.state === 'completed') return { status: 200, body: done.value };
    if (done.state === 'failed') throw failureOf(done.reason, campaignId);
    throw new HttpError(ErrorCode.Deadline, `operation ${jobId} not done after ${waitS} s${done.reason ? ` (last attempt: ${done.reason})` : ''}`, { campaignId, jobId });
  }

  async function setPacing(campaignId: string, b: z.output<typeof pacingBody>, waitS: number | undefined) {
    await livePacing(campaignId);
    const policy = b.policy ?? (b.auto ? deps.defaultPolicy : undefined);
    const { jobId } = await svc.setPacing(campaignId, { callsPerMinute: b.callsPerMinute, policy });
    return operationAnswer(waitS === undefined ? undefined : await svc.awaitOperation(jobId, untilS(waitS)), jobId, campaignId, waitS);
  }

  async function summary(campaignId: string, refresh: boolean) {
    if (!(await svc.pacing.get(campaignId))) throw notFound(`no campaign ${campaignId} launched by this fleet`);
    const r = await svc.freshSummary(campaignId, { timeoutMs: SUMMARY_WAIT_MS, refresh });
    if (!('failed' in r)) return { status: 200, body: { campaignId, ...r.summary } };
    const f = r.failed;
    if (f.state === 'failed') throw failureOf(f.reason, campaignId);
    const lastError = f.state === 'pending' ? f.reason : undefined;
    // CXone did not answer in time: the last known figures, marked stale, beat no answer.
    if (r.summary) return { status: 200, body: { campaignId, ...r.summary, stale: true, refreshError: lastError } };
    if (lastError) throw failureOf(lastError, campaignId);
    throw new HttpError(ErrorCode.Deadline, `no statistics for campaign ${campaignId} within ${SUMMARY_WAIT_MS / 1000} s`, { campaignId });
  }

  // The launch, pacing and summary routes each have the seed's route as an alias: the same
  // method, responses and outcome (pacing and summary take the campaign id in the body or query).
  const launchBody = z.record(z.string(), z.unknown());
  routeWithSeedAlias(
    {
      method: 'post',
      path: '/campaigns/launches',
      summary: 'Launch a campaign: contact-list checks, create, start, status polls (one step job); the same Idempotency-Key is the same launch',
      body: launchBody,
      query: launchQuery,
      responses: RESPONSES.launch,
      handler: ({ body, query, idempotencyKey, requestId }) => launch(body, query, idempotencyKey, requestId),
    },
    {
      path: '/orchestrate/launch',
      summary: "The seed's launch route (compatible alias of POST /campaigns/launches)",
      body: launchBody,
      query: launchQuery,
      handler: ({ body, query, idempotencyKey, requestId }) => launch(body, query, idempotencyKey, requestId),
    },
  );
  api.route(
    defineRoute({
      method: 'get',
      path: '/campaigns/launches/:id',
      summary: 'A launch: its steps, CXone status, polls, outcome',
      tags: TAG,
      params: launchParams,
      handler: async ({ params }) => {
        const l = await svc.getLaunch(params.id);
        if (!l) throw notFound(`no launch ${params.id}`);
        return { status: 200, body: l };
      },
    }),
  );
  api.route(
    defineRoute({
      method: 'get',
      path: '/campaigns/:id',
      summary: 'A campaign launched by this fleet: its launch, pacing and dialer breaker',
      tags: TAG,
      params: campaignParams,
      handler: async ({ params }) => {
        const c = await svc.campaign(params.id);
        if (!c) throw notFound(`no campaign ${params.id} launched by this fleet`);
        return { status: 200, body: c };
      },
    }),
  );
  api.route(
    defineRoute({
      method: 'post',
      path: '/campaigns/:id/stop',
      summary: 'Stop a campaign (CXone stop, then its pacing checks end); 202, or ?wait= seconds for the result',
      tags: TAG,
      params: campaignParams,
      query: waitOnly,
      handler: async ({ params, query }) => {
        if (!(await svc.campaign(params.id))) throw notFound(`no campaign ${params.id} launched by this fleet`);
        const { jobId } = await svc.stop(params.id);
        return operationAnswer(query.wait === undefined ? undefined : await svc.awaitOperation(jobId, untilS(query.wait)), jobId, params.id, query.wait);
      },
    }),
  );

  const refreshOf = (q: { refresh?: string | undefined }) => q.refresh === 'true' || q.refresh === '1';
  routeWithSeedAlias(
    {
      method: 'patch',
      path: '/campaigns/:id/pacing',
      summary: 'Set the calls per minute by hand (policy manual) or change the pacing policy',
      params: campaignParams,
      query: waitOnly,
      body: pacingBody,
      responses: RESPONSES.pacing,
      handler: ({ params, query, body }) => setPacing(params.id, body, query.wait),
    },
    {
      path: '/orchestrate/pacing',
      summary: "The seed's pacing route (compatible alias of PATCH /campaigns/:id/pacing, the id in the body)",
      query: waitOnly,
      body: orchestratePacingBody,
      handler: ({ query, body: { campaignId, ...change } }) => setPacing(campaignId, change, query.wait),
    },
  );
  routeWithSeedAlias(
    {
      method: 'get',
      path: '/campaigns/:id/summary',
      summary: 'Campaign statistics from the last read (refreshed through a job when older than 60 s, or with ?refresh=true)',
      params: campaignParams,
      query: summaryQuery,
      responses: RESPONSES.summary,
      handler: ({ params, query }) => summary(params.id, refreshOf(query)),
    },
    {
      path: '/orchestrate/summary',
      summary: "The seed's summary route (compatible alias of GET /campaigns/:id/summary, ?campaignId=)",
      query: orchestrateSummaryQuery,
      handler: ({ query }) => summary(query.campaignId, refreshOf(query)),
    },
  );

  function routeWithSeedAlias<B extends z.ZodType | undefined, Q extends z.ZodType | undefined, P extends z.ZodType | undefined, AB extends z.ZodType | undefined, AQ extends z.ZodType | undefined>(
    route: Omit<RouteDefinition<B, Q, P>, 'tags'>,
    alias: Pick<RouteDefinition<AB, AQ, undefined>, 'path' | 'summary' | 'body' | 'query' | 'handler'>,
  ): void {
    api.route(defineRoute<B, Q, P>({ ...route, tags: TAG }));
    api.route(defineRoute<AB, AQ, undefined>({ ...alias, method: route.method, responses: route.responses, tags: TAG }));
  }
  api.route(
    defineRoute({
      method: 'get',
      path: '/campaigns/:id/compliance',
      summary: 'Abandonment windows (24 h, 30 d), budget left and the latest pacing decisions with their inputs',
      tags: TAG,
      params: campaignParams,
      query: z.object({ decisions: z.coerce.number().int().min(0).max(500).default(50) }),
      handler: async ({ params, query }) => {
        const c = await svc.compliance(params.id, query.decisions);
        if (!c) throw notFound(`no campaign ${params.id} launched by this fleet`);
        return { status: 200, body: c };
      },
    }),
  );
}

/** A job's failed reason ("CODE: message", as the workers write it) as the API's error. */
function failureOf(reason: string, campaignId: string): HttpError {
  const m = /^([A-Z_]+): (.*)$/s.exec(reason);
  if (m && isErrorCode(m[1])) return new HttpError(m[1], m[2]!, { campaignId });
  return new HttpError(ErrorCode.Unexpected, reason, { campaignId });
}
