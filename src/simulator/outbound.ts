// Outbound preview campaigns (PPS): campaigns with versions and ETags (412 on a stale
// If-Match, 428 without one), paged contacts generated on demand, suppressions in mixed
// number formats, webhook registration, and a signed `campaign.preview.activated` event to
// every matching registration after a successful PUT. It validates the PreviewConfig on its
// own (never the fleet's schema), so a client/server disagreement shows in tests.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { SimulatorConfigError } from './config.ts';
import { HttpProblem, headerValue, parseJsonBody } from './http-io.ts';
import type { SimResponse } from './http-io.ts';
import { OUTBOUND_DEFAULTS, outboundConfigSchema, type OutboundConfig, type OutboundRoute } from './outbound-config.ts';
import { contactAt, pageOf, suppressionAt, suppressionCount } from './outbound-data.ts';
import { validatePreviewConfig } from './outbound-validate.ts';
import { SCOPES } from './scopes.ts';
import type { ModuleDeps, RouteContext, SimModule } from './sim-module.ts';

export interface SimCampaign {
  id: string;
  name: string;
  type: string;
  status: 'active' | 'inactive';
  version: number;
  fields: Record<string, unknown>;
}

export interface OutboundStats {
  activePreviews: number;
  maxActivePreviews: number;
  puts: number;
  status400: number;
  status412: number;
  status428: number;
  campaignListPages: number;
  campaignGets: number;
  contactPages: number;
  /** Contact pages served, by page number (the first 1000 numbers). */
  contactPagesByNumber: Record<string, number>;
  suppressionPages: number;
  webhooksRegistered: number;
  webhookConflicts: number;
  eventsSent: Record<string, number>;
  idempotentReplays: number;
  scriptedServed: number;
  /** Contact page requests waiting on holdContactPage right now. */
  held: number;
}

export interface OutboundControl {
  configure(patch: unknown): OutboundConfig;
  config(): OutboundConfig;
  /** Another writer: merges fields into the campaign and moves its version. */
  touch(id: string, fields: Record<string, unknown>): SimCampaign | undefined;
  campaign(id: string): SimCampaign | undefined;
  webhooks(): { id: string; name: string; eventFilter: string; uri: string; enabled: boolean }[];
  /** Answers the held contact page requests; returns how many there were. */
  release(): number;
}

export interface OutboundModule extends SimModule {
  name: 'preview';
  control: OutboundControl;
  stats(): OutboundStats;
}

const webhookBody = z
  .object({ name: z.string().min(1).max(200), enabled: z.boolean(), eventFilter: z.string().min(1), uri: z.string().url(), method: z.literal('POST') })
  .strict();

const pathOf = (path: readonly PropertyKey[]) => path.map(String).join('.');

function fresh() {
  return {
    campaigns: new Map<string, SimCampaign>(),
    webhooks: new Map<string, { id: string; accountId: string; name: string; eventFilter: string; uri: string; enabled: boolean }>(),
    idempotency: new Map<string, SimResponse>(),
    scripted: [] as { route: OutboundRoute; status: number; times: number; page?: number | undefined; retryAfterS?: number | undefined }[],
    conflicts: 0,
    touch: undefined as Record<string, unknown> | undefined,
    /** The contact page whose next request is held, and the requests held. */
    hold: undefined as number | undefined,
    releases: [] as (() => void)[],
    stats: {
      maxActivePreviews: 0,
      puts: 0,
      status400: 0,
      status412: 0,
      status428: 0,
      campaignListPages: 0,
      campaignGets: 0,
      contactPages: 0,
      contactPagesByNumber: {} as Record<string, number>,
      suppressionPages: 0,
      webhookConflicts: 0,
      eventsSent: {} as Record<string, number>,
      idempotentReplays: 0,
      scriptedServed: 0,
      held: 0,
    },
  };
}

/** If-Match as `"version:N"`, `version:N`, `W/"version:N"` or `N` (the seed sends it unquoted). */
export function ifMatchVersion(v: string): number | undefined {
  const m = /^(?:W\/)?"?(?:version:)?(\d+)"?$/.exec(v.trim());
  return m ? Number(m[1]) : undefined;
}

export function createOutboundModule(deps: ModuleDeps): OutboundModule {
  let s = fresh();
  let cfg: OutboundConfig = {};
  const knob = <K extends keyof typeof OUTBOUND_DEFAULTS>(k: K) => (cfg[k] ?? OUTBOUND_DEFAULTS[k]) as NonNullable<OutboundConfig[K]>;
  const activeCount = () => [...s.campaigns.values()].filter((c) => c.type === 'preview' && c.status === 'active').length;
  const track = () => (s.stats.maxActivePreviews = Math.max(s.stats.maxActivePreviews, activeCount()));

  /** The next scripted answer for this route (and page), consumed. */
  function scripted(route: OutboundRoute, page?: number): void {
    const i = s.scripted.findIndex((x) => x.route === route && (x.page === undefined || x.page === page));
    if (i < 0) return;
    const x = s.scripted[i]!;
    if (--x.times <= 0) s.scripted.splice(i, 1);
    s.stats.scriptedServed++;
    const headers: Record<string, string> = x.retryAfterS !== undefined ? { 'retry-after': String(x.retryAfterS) } : {};
    throw new HttpProblem(x.status, { error: x.status === 429 ? 'rate_limited' : 'scripted', message: `scripted ${x.status} on ${route}` }, headers);
  }

  function paging(ctx: RouteContext): { page: number; limit: number } {
    const limit = Number(ctx.query.get('limit') ?? '100');
    const page = Number(ctx.query.get('page') ?? '1');
    if (!Number.isInteger(limit) || limit < 1 || limit > knob('maxLimit')) throw new HttpProblem(400, { error: 'validation', details: [{ field: 'limit', message: `1..${knob('maxLimit')}` }] });
    if (!Number.isInteger(page) || page < 1) throw new HttpProblem(400, { error: 'validation', details: [{ field: 'page', message: 'an integer from 1' }] });
    return { page, limit };
  }

  const view = (c: SimCampaign) => ({ ...c.fields, id: c.id, name: c.name, type: c.type, status: c.status, version: c.version });
  const etag = (c: SimCampaign): Record<string, string> => (knob('etags') ? { etag: `"version:${c.version}"` } : {});
  const found = (id: string | undefined) => {
    const c = s.campaigns.get(id ?? '');
    if (!c) throw new HttpProblem(404, { error: 'not_found', message: `no campaign ${id ?? ''}` });
    return c;
  };

  function touch(c: SimCampaign, fields: Record<string, unknown>): void {
    c.fields = { ...c.fields, ...fields };
    c.version++;
  }

  function listCampaigns(ctx: RouteContext): SimResponse {
    scripted('campaignList');
    const q = paging(ctx);
    const type = ctx.query.get('type');
    const status = ctx.query.get('status');
    const all = [...s.campaigns.values()].filter((c) => (!type || c.type === type) && (!status || c.status === status));
    s.stats.campaignListPages++;
    const extra = `${type ? `&type=${type}` : ''}${status ? `&status=${status}` : ''}`;
    const page = pageOf(all.length, (i) => all[i]!, { ...q, cap: cfg.pageSizeCap, path: deps.endpoints.outboundCampaignList.path, extra, includeTotal: knob('includeTotal') });
    return { status: 200, body: { ...page, entity: page.entity.map((c) => ({ id: c.id, name: c.name, type: c.type, status: c.status, version: c.version })) } };
  }

  function getCampaign(ctx: RouteContext): SimResponse {
    scripted('campaignGet');
    const c = found(ctx.params.id);
    s.stats.campaignGets++;
    return { status: 200, body: view(c), headers: etag(c) };
  }

  function putCampaign(ctx: RouteContext): SimResponse {
    scripted('campaignUpdate');
    const c = found(ctx.params.id);
    const idem = headerValue(ctx.req.headers['idempotency-key']);
    const replay = idem === undefined ? undefined : s.idempotency.get(`${ctx.auth.accountId}\u0000${idem}`);
    if (replay) {
      s.stats.idempotentReplays++;
      return replay;
    }
    if (knob('etags')) {
      const header = headerValue(ctx.req.headers['if-match']);
      if (header === undefined && knob('requireIfMatch')) {
        s.stats.status428++;
        throw new HttpProblem(428, { error: 'precondition_required', message: 'If-Match is required' });
      }
      if (s.conflicts > 0) {
        s.conflicts--;
        c.version++;
      }
      if (s.touch) {
        touch(c, s.touch);
        s.touch = undefined;
      }
      if (header !== undefined && ifMatchVersion(header) !== c.version) {
        s.stats.status412++;
        throw new HttpProblem(412, { error: 'precondition_failed', currentVersion: c.version }, etag(c));
      }
    }
    let raw: unknown;
    try {
      raw = JSON.parse(ctx.body.toString('utf8'));
    } catch (err) {
      throw new HttpProblem(400, { error: 'malformed_json', message: (err as Error).message });
    }
    const problems = validatePreviewConfig(raw, { queues: knob('queues'), contactLists: Object.keys(cfg.contactLists ?? {}) });
    if (problems.length > 0) {
      s.stats.status400++;
      throw new HttpProblem(400, { error: 'validation', details: problems });
    }
    const { id: _i, version: _v, status: _s, name, type: _t, ...fields } = raw as Record<string, unknown>;
    c.fields = fields;
    c.name = name as string;
    c.version++;
    c.status = 'active';
    s.stats.puts++;
    track();
    const res: SimResponse = { status: 200, body: { version: c.version, status: c.status }, headers: etag(c) };
    if (idem !== undefined) s.idempotency.set(`${ctx.auth.accountId}\u0000${idem}`, res);
    emit(ctx.auth.accountId, 'campaign.preview.activated', c);
    return res;
  }

  function emit(accountId: string, eventType: string, c: SimCampaign): void {
    for (const w of s.webhooks.values()) {
      if (w.accountId !== accountId || !w.enabled || w.eventFilter !== eventType) continue;
      const event = { eventId: randomUUID(), eventType, campaignId: c.id, timestamp: new Date(deps.now()).toISOString(), data: { version: c.version, status: c.status } };
      if (deps.webhooks.dispatch(w.uri, [[() => event]])) s.stats.eventsSent[eventType] = (s.stats.eventsSent[eventType] ?? 0) + 1;
    }
  }

  async function contacts(ctx: RouteContext): Promise<SimResponse> {
    const q = paging(ctx);
    scripted('contacts', q.page);
    const gen = cfg.contactLists?.[ctx.params.id ?? ''];
    if (!gen) throw new HttpProblem(404, { error: 'not_found', message: `no contact list ${ctx.params.id ?? ''}` });
    s.stats.contactPages++;
    if (q.page <= 1000) s.stats.contactPagesByNumber[q.page] = (s.stats.contactPagesByNumber[q.page] ?? 0) + 1;
    if (s.hold === q.page) {
      s.hold = undefined;
      // The state this request belongs to: a reset meanwhile replaces `s`.
      const state = s;
      state.stats.held++;
      await new Promise<void>((resolve) => state.releases.push(resolve));
      state.stats.held--;
    }
    const path = deps.endpoints.outboundContacts.path.replace('{id}', encodeURIComponent(ctx.params.id ?? ''));
    return { status: 200, body: pageOf(gen.count, (i) => contactAt(gen, i), { ...q, cap: cfg.pageSizeCap, path, includeTotal: knob('includeTotal') }) };
  }

  function suppressions(ctx: RouteContext): SimResponse {
    const q = paging(ctx);
    scripted('suppressions', q.page);
    s.stats.suppressionPages++;
    const path = deps.endpoints.outboundSuppressions.path;
    return { status: 200, body: pageOf(suppressionCount(cfg), (n) => suppressionAt(cfg, n), { ...q, cap: cfg.pageSizeCap, path, includeTotal: knob('includeTotal') }) };
  }

  function registerWebhook(ctx: RouteContext): SimResponse {
    scripted('webhookCreate');
    const body = parseJsonBody(ctx.body, webhookBody);
    for (const w of s.webhooks.values()) {
      if (w.accountId === ctx.auth.accountId && w.name === body.name) {
        s.stats.webhookConflicts++;
        throw new HttpProblem(409, { error: 'conflict', message: `a webhook named ${body.name} exists`, id: w.id });
      }
    }
    const w = { id: randomUUID(), accountId: ctx.auth.accountId, name: body.name, eventFilter: body.eventFilter, uri: body.uri, enabled: body.enabled };
    s.webhooks.set(w.id, w);
    return { status: 201, body: { id: w.id } };
  }

  const control: OutboundControl = {
    configure(patch) {
      const parsed = outboundConfigSchema.safeParse(patch);
      if (!parsed.success) throw new SimulatorConfigError(parsed.error.issues.map((i) => ({ field: `outbound.${pathOf(i.path)}`, message: i.message })));
      const p = parsed.data;
      cfg = { ...cfg, ...p, contactLists: { ...cfg.contactLists, ...p.contactLists }, campaigns: undefined, scripted: undefined, conflictOnNextPut: undefined, touchBeforeNextPut: undefined, holdContactPage: undefined };
      for (const c of p.campaigns ?? []) {
        s.campaigns.set(c.id, { id: c.id, name: c.name ?? c.id, type: c.type, status: c.status, version: 1, fields: { ...c.fields } });
      }
      track();
      if (p.scripted) s.scripted.push(...p.scripted.map((x) => ({ ...x })));
      if (p.conflictOnNextPut !== undefined) s.conflicts = p.conflictOnNextPut;
      if (p.touchBeforeNextPut) s.touch = p.touchBeforeNextPut;
      if (p.holdContactPage !== undefined) s.hold = p.holdContactPage;
      return cfg;
    },
    config: () => cfg,
    touch(id, fields) {
      const c = s.campaigns.get(id);
      if (c) touch(c, fields);
      return c && { ...c };
    },
    campaign: (id) => {
      const c = s.campaigns.get(id);
      return c && { ...c, fields: { ...c.fields } };
    },
    webhooks: () => [...s.webhooks.values()].map(({ accountId: _a, ...w }) => w),
    release() {
      const waiting = s.releases.splice(0);
      for (const resolve of waiting) resolve();
      return waiting.length;
    },
  };

  const e = deps.endpoints;
  return {
    name: 'preview',
    control,
    routes: (
      [
        [e.outboundCampaignList, SCOPES.outboundRead, listCampaigns],
        [e.outboundCampaignGet, SCOPES.outboundRead, getCampaign],
        [e.outboundCampaignUpdate, SCOPES.campaignWrite, putCampaign],
        [e.outboundContacts, SCOPES.contactlistRead, contacts],
        [e.outboundSuppressions, SCOPES.suppressionsRead, suppressions],
        [e.webhookCreate, SCOPES.webhookWrite, registerWebhook],
      ] as const
    ).map(([endpoint, scope, handle]) => ({ endpoint, scope, handle })),
    stats: () => ({ ...s.stats, eventsSent: { ...s.stats.eventsSent }, contactPagesByNumber: { ...s.stats.contactPagesByNumber }, activePreviews: activeCount(), webhooksRegistered: s.webhooks.size }),
    reset() {
      control.release();
      s = fresh();
    },
    close() {
      control.release();
    },
  };
}
