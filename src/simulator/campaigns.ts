// Campaign launch (CL): contact lists, create (Idempotency-Key replays, 409 on a taken name),
// start (202, or 409 when already started), status GETs that move the start state machine
// CREATED -> QUEUED -> INITIALIZING -> RUNNING | ERROR | STOPPED (by polls or by time), PATCH
// of the pacing, realtime and cumulative figures from the seeded dialer model, and stop
// (an extension). Scripted responses make exact fault sequences (3 x 500, one 429).
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  CAMPAIGNS_DEFAULTS,
  DEFAULT_CONTACT_LISTS,
  DIALER_DEFAULTS,
  campaignsConfigSchema,
  mergeCampaignsConfig,
  type CampaignOutcome,
  type CampaignRoute,
  type CampaignsConfig,
  type CampaignsConfigInput,
  type ScriptedResponse,
  type SimContactList,
} from './campaigns-config.ts';
import { SimulatorConfigError } from './config.ts';
import { advanceDialer, createDialer, realtimeOf, setPacing, statisticsOf, type DialerSettings, type DialerState } from './dialer-model.ts';
import { HttpProblem, headerValue, parseJsonBody, validationProblem, type SimResponse } from './http-io.ts';
import { SCOPES } from './scopes.ts';
import { SlidingWindowPeak } from './sliding-window.ts';
import { TimerSet } from './timer-set.ts';
import type { ModuleDeps, RouteContext, SimModule } from './sim-module.ts';

export type CampaignStatus = 'CREATED' | 'QUEUED' | 'INITIALIZING' | 'RUNNING' | 'STOPPED' | 'ERROR';
const STARTED: ReadonlySet<CampaignStatus> = new Set(['QUEUED', 'INITIALIZING', 'RUNNING']);

interface SimCampaign {
  id: string;
  accountId: string;
  name: string;
  dialerType: string;
  contactListId: string;
  pacing: { callsPerMinute: number; maxConcurrent: number };
  status: CampaignStatus;
  outcome: CampaignOutcome;
  startedAt: number | undefined;
  /** GETs since the last start (advance by polls). */
  polls: number;
  lastError: { errorCode: string; errorMessage: string } | undefined;
  dialer: DialerState | undefined;
  /** callsPerMinute after each accepted PATCH. */
  cpmHistory: number[];
}

export interface CampaignsStats {
  created: number;
  idempotentReplays: number;
  nameConflicts: number;
  starts: number;
  startConflicts: number;
  polls: Record<string, number>;
  byStatus: Record<CampaignStatus, number>;
  patches: number;
  cpmHistory: Record<string, number[]>;
  realtimeReads: number;
  statisticsReads: number;
  contactListReads: number;
  stops: number;
  scripted: number;
  statusEvents: number;
  /** Status GETs of all campaigns: the most in any 1 s, when the first and last arrived, and the count in each whole second from the first. */
  statusPolls: { total: number; peak1s: number; firstAt: number | null; lastAt: number | null; perSecond: number[] };
}

export interface CampaignView {
  id: string;
  name: string;
  status: CampaignStatus;
  pacing: { callsPerMinute: number; maxConcurrent: number };
  polls: number;
}

export interface CampaignsControl {
  configure(patch: CampaignsConfigInput): CampaignsConfig;
  config(): CampaignsConfig;
  campaigns(): CampaignView[];
  /** Sets a campaign's status as CXone would on its own (e.g. an operator stops it). */
  setStatus(id: string, status: CampaignStatus): boolean;
  /** The dialer model's figures, advanced to the simulator's now. */
  figures(id: string): { realtime: ReturnType<typeof realtimeOf>; statistics: ReturnType<typeof statisticsOf> } | undefined;
}

export interface CampaignsModule extends SimModule {
  name: 'campaigns';
  control: CampaignsControl;
  stats(): CampaignsStats;
}

const DIALER_TYPES = ['preview', 'progressive', 'predictive', 'agentless'] as const;

function requestSchema(maxCpm: number) {
  return z.object({
    name: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    dialerType: z.enum(DIALER_TYPES),
    pacing: z.object({
      callsPerMinute: z.number().int().min(1, `must be 1-${maxCpm}`).max(maxCpm, `must be 1-${maxCpm}`),
      maxConcurrent: z.number().int().min(1),
    }),
    contactListId: z.string().min(1),
    dnc: z.object({ enforceNational: z.boolean(), enforceLocal: z.boolean() }).optional(),
  });
}

const patchSchema = z.object({
  pacing: z.object({ callsPerMinute: z.number().int().min(1).optional(), maxConcurrent: z.number().int().min(1).optional() }).strict(),
});

const pathOf = (path: readonly PropertyKey[]) => path.map(String).join('.');

function freshState() {
  return {
    campaigns: new Map<string, SimCampaign>(),
    idempotency: new Map<string, string>(),
    script: [] as ScriptedResponse[],
    omitStatusOnce: false,
    created: 0,
    replays: 0,
    nameConflicts: 0,
    starts: 0,
    startConflicts: 0,
    patches: 0,
    realtimeReads: 0,
    statisticsReads: 0,
    contactListReads: 0,
    stops: 0,
    scripted: 0,
    statusEvents: 0,
    polls: { total: 0, peak: new SlidingWindowPeak(1000), firstAt: null as number | null, lastAt: null as number | null, perSecond: [] as number[] },
  };
}

export function createCampaignsModule(deps: ModuleDeps): CampaignsModule {
  let s = freshState();
  let cfg: CampaignsConfig = {};
  // Time mode: a started campaign moves on at its deadlines, not only when read, so its
  // status event goes out when CXone would send it.
  const timers = new TimerSet();
  const knob = <K extends keyof typeof CAMPAIGNS_DEFAULTS>(k: K) => (cfg[k] ?? CAMPAIGNS_DEFAULTS[k]) as NonNullable<CampaignsConfig[K]>;
  const dialerSettings = (): DialerSettings => ({ ...DIALER_DEFAULTS, ...cfg.dialer });
  const key = (account: string, k: string) => `${account}\u0000${k}`;

  function scripted(route: CampaignRoute): void {
    const i = s.script.findIndex((r) => r.route === route);
    if (i < 0) return;
    const r = s.script[i]!;
    r.times--;
    if (r.times <= 0) s.script.splice(i, 1);
    s.scripted++;
    const headers = r.retryAfterS === undefined ? undefined : { 'retry-after': String(r.retryAfterS) };
    throw new HttpProblem(r.status, r.body ?? { error: r.status === 429 ? 'rate_limited' : 'scripted', message: `scripted ${r.status}` }, headers);
  }

  function emit(c: SimCampaign): void {
    const url = cfg.statusEventsUrl;
    if (!url) return;
    const event = {
      eventId: randomUUID(),
      eventType: 'campaign.status.changed',
      campaignId: c.id,
      timestamp: new Date(deps.now()).toISOString(),
      data: { status: c.status, ...(c.lastError ? { lastError: c.lastError } : {}) },
    };
    if (deps.webhooks.dispatch(url, [[() => event]])) s.statusEvents++;
  }

  function transition(c: SimCampaign, status: CampaignStatus, now: number): void {
    if (c.status === status) return;
    c.status = status;
    if (status === 'RUNNING') c.dialer = createDialer(dialerSettings(), now, c.pacing);
    if (status === 'ERROR' && !cfg.errorWithoutDetails) c.lastError = { errorCode: knob('errorCode'), errorMessage: knob('errorMessage') };
    emit(c);
  }

  function terminalOf(c: SimCampaign): CampaignStatus {
    switch (c.outcome) {
      case 'running':
        return 'RUNNING';
      case 'error':
        return 'ERROR';
      case 'stopped':
        return 'STOPPED';
      case 'stuck':
        return 'INITIALIZING';
    }
  }

  /** Moves a starting campaign along by polls seen or time since its start. */
  function advance(c: SimCampaign, now: number): void {
    if (!STARTED.has(c.status) || c.status === 'RUNNING' || c.startedAt === undefined) return;
    const byPolls = knob('advanceBy') === 'polls';
    // Poll n (1-based) has seen n - 1 polls before it: queuedPolls 2 answers QUEUED twice.
    const elapsed = byPolls ? c.polls - 1 : now - c.startedAt;
    const queued = byPolls ? knob('queuedPolls') : knob('queuedMs');
    const init = byPolls ? knob('initializingPolls') : knob('initializingMs');
    if (elapsed < queued) return;
    if (elapsed < queued + init) return transition(c, 'INITIALIZING', now);
    if (c.status === 'QUEUED') transition(c, 'INITIALIZING', now);
    transition(c, terminalOf(c), now);
  }

  /** Advances a campaign by time on any read (time mode) and its dialer to now. */
  function touch(c: SimCampaign, now: number): void {
    if (knob('advanceBy') === 'time') advance(c, now);
    if (c.status === 'RUNNING' && c.dialer) advanceDialer(c.dialer, now);
  }

  function find(ctx: RouteContext): SimCampaign {
    const c = s.campaigns.get(ctx.params.id ?? '');
    if (!c || c.accountId !== ctx.auth.accountId) throw new HttpProblem(404, { error: 'not_found', message: `no campaign ${ctx.params.id ?? ''}` });
    touch(c, ctx.now);
    return c;
  }

  function contactLists(): readonly SimContactList[] {
    return cfg.contactLists ?? DEFAULT_CONTACT_LISTS;
  }

  function contactListView(l: SimContactList, now: number) {
    const lastValidated = l.lastValidated ?? new Date(now - (l.validatedDaysAgo ?? 0) * 86_400_000).toISOString();
    return { id: l.id, name: l.name ?? l.id, recordCount: l.recordCount ?? 0, dncCompliant: l.dncCompliant ?? true, lastValidated };
  }

  function view(c: SimCampaign) {
    return { id: c.id, name: c.name, status: c.status, pacing: { ...c.pacing }, ...(c.lastError ? { lastError: c.lastError } : {}) };
  }

  const handlers = {
    contactList: (ctx: RouteContext): SimResponse => {
      scripted('contactList');
      s.contactListReads++;
      const list = contactLists().find((l) => l.id === ctx.params.id);
      if (!list) throw new HttpProblem(404, { error: 'not_found', message: `no contact list ${ctx.params.id ?? ''}` });
      return { status: 200, body: contactListView(list, ctx.now) };
    },

    create: (ctx: RouteContext): SimResponse => {
      scripted('create');
      const idemKey = headerValue(ctx.req.headers['idempotency-key']);
      const replay = idemKey === undefined ? undefined : s.campaigns.get(s.idempotency.get(key(ctx.auth.accountId, idemKey)) ?? '');
      if (replay) {
        s.replays++;
        return { status: 201, body: { id: replay.id, status: replay.status } };
      }
      const body = parseJsonBody(ctx.body, requestSchema(knob('maxCallsPerMinute')));
      if (!contactLists().some((l) => l.id === body.contactListId)) {
        throw validationProblem([{ field: 'contactListId', message: `no contact list ${body.contactListId}` }]);
      }
      for (const c of s.campaigns.values()) {
        if (c.accountId === ctx.auth.accountId && c.name === body.name) {
          s.nameConflicts++;
          throw new HttpProblem(409, { error: 'conflict', message: `a campaign named ${body.name} exists`, id: c.id });
        }
      }
      const c: SimCampaign = {
        id: randomUUID(),
        accountId: ctx.auth.accountId,
        name: body.name,
        dialerType: body.dialerType,
        contactListId: body.contactListId,
        pacing: { ...body.pacing },
        status: 'CREATED',
        outcome: cfg.outcomeByName?.[body.name] ?? knob('outcome'),
        startedAt: undefined,
        polls: 0,
        lastError: undefined,
        dialer: undefined,
        cpmHistory: [],
      };
      s.campaigns.set(c.id, c);
      if (idemKey !== undefined) s.idempotency.set(key(c.accountId, idemKey), c.id);
      s.created++;
      return { status: 201, body: { id: c.id, status: c.status } };
    },

    start: (ctx: RouteContext): SimResponse => {
      const c = find(ctx);
      scripted('start');
      if (STARTED.has(c.status)) {
        s.startConflicts++;
        throw new HttpProblem(409, { error: 'conflict', message: `campaign ${c.id} is ${c.status}`, status: c.status });
      }
      if (c.status === 'ERROR') throw new HttpProblem(409, { error: 'conflict', message: `campaign ${c.id} is ERROR`, status: c.status });
      s.starts++;
      c.startedAt = ctx.now;
      c.polls = 0;
      c.lastError = undefined;
      transition(c, 'QUEUED', ctx.now);
      if (knob('advanceBy') === 'time') {
        const startedAt = c.startedAt;
        const moveOn = () => {
          if (c.startedAt === startedAt) advance(c, deps.now());
        };
        // +1 ms: a timer may fire a millisecond early by the wall clock.
        timers.after(knob('queuedMs') + 1, moveOn);
        timers.after(knob('queuedMs') + knob('initializingMs') + 1, moveOn);
      }
      return { status: 202, body: { id: c.id, status: c.status } };
    },

    get: (ctx: RouteContext): SimResponse => {
      const c = find(ctx);
      scripted('get');
      c.polls++;
      s.polls.total++;
      s.polls.peak.arrive(ctx.now);
      s.polls.firstAt ??= ctx.now;
      s.polls.lastAt = ctx.now;
      const second = Math.floor((ctx.now - s.polls.firstAt) / 1000);
      s.polls.perSecond[second] = (s.polls.perSecond[second] ?? 0) + 1;
      if (knob('advanceBy') === 'polls') advance(c, ctx.now);
      if (s.omitStatusOnce) {
        s.omitStatusOnce = false;
        const { status: _omitted, ...rest } = view(c);
        return { status: 200, body: rest };
      }
      return { status: 200, body: view(c) };
    },

    patch: (ctx: RouteContext): SimResponse => {
      const c = find(ctx);
      scripted('patch');
      const body = parseJsonBody(ctx.body, patchSchema);
      if (!STARTED.has(c.status)) throw new HttpProblem(409, { error: 'conflict', message: `campaign ${c.id} is ${c.status}` });
      const cpm = body.pacing.callsPerMinute;
      if (cpm !== undefined && cpm > knob('maxCallsPerMinute')) throw validationProblem([{ field: 'pacing.callsPerMinute', message: `must be 1-${knob('maxCallsPerMinute')}` }]);
      if (c.dialer) setPacing(c.dialer, ctx.now, body.pacing);
      c.pacing = { callsPerMinute: cpm ?? c.pacing.callsPerMinute, maxConcurrent: body.pacing.maxConcurrent ?? c.pacing.maxConcurrent };
      c.cpmHistory.push(c.pacing.callsPerMinute);
      s.patches++;
      return { status: knob('patchStatus'), body: view(c) };
    },

    realtime: (ctx: RouteContext): SimResponse => {
      const c = find(ctx);
      scripted('realtime');
      s.realtimeReads++;
      if (!c.dialer) throw new HttpProblem(409, { error: 'conflict', message: `campaign ${c.id} has not run` });
      return { status: 200, body: realtimeOf(c.dialer) };
    },

    statistics: (ctx: RouteContext): SimResponse => {
      const c = find(ctx);
      scripted('statistics');
      s.statisticsReads++;
      const figures = c.dialer ? statisticsOf(c.dialer) : { totalCalls: 0, answered: 0, abandoned: 0, avgTalkTime: 0, connectRate: 0 };
      return { status: 200, body: figures };
    },

    stop: (ctx: RouteContext): SimResponse => {
      const c = find(ctx);
      scripted('stop');
      if (!STARTED.has(c.status)) throw new HttpProblem(409, { error: 'conflict', message: `campaign ${c.id} is ${c.status}`, status: c.status });
      s.stops++;
      transition(c, 'STOPPED', ctx.now);
      return { status: 202, body: { id: c.id, status: c.status } };
    },
  };

  const control: CampaignsControl = {
    configure(patch) {
      const parsed = campaignsConfigSchema.safeParse(patch);
      if (!parsed.success) throw new SimulatorConfigError(parsed.error.issues.map((i) => ({ field: `campaigns.${pathOf(i.path)}`, message: i.message })));
      const { script, ...rest } = parsed.data;
      cfg = mergeCampaignsConfig(cfg, rest);
      if (script) s.script.push(...script.map((r) => ({ ...r })));
      if (rest.omitStatusOnce) s.omitStatusOnce = true;
      return cfg;
    },
    config: () => cfg,
    campaigns: () => [...s.campaigns.values()].map((c) => ({ id: c.id, name: c.name, status: c.status, pacing: { ...c.pacing }, polls: c.polls })),
    setStatus(id, status) {
      const c = s.campaigns.get(id);
      if (!c) return false;
      touch(c, deps.now());
      transition(c, status, deps.now());
      return true;
    },
    figures(id) {
      const c = s.campaigns.get(id);
      if (!c?.dialer) return undefined;
      advanceDialer(c.dialer, deps.now());
      return { realtime: realtimeOf(c.dialer), statistics: statisticsOf(c.dialer) };
    },
  };

  const e = deps.endpoints;
  return {
    name: 'campaigns',
    control,
    routes: [
      { endpoint: e.contactListGet, scope: SCOPES.contactlistRead, handle: handlers.contactList },
      { endpoint: e.campaignCreate, scope: SCOPES.campaignWrite, handle: handlers.create },
      { endpoint: e.campaignStart, scope: SCOPES.campaignWrite, handle: handlers.start },
      { endpoint: e.campaignGet, scope: SCOPES.campaignRead, handle: handlers.get },
      { endpoint: e.campaignUpdate, scope: SCOPES.campaignWrite, handle: handlers.patch },
      { endpoint: e.campaignRealtime, scope: SCOPES.statisticsRead, handle: handlers.realtime },
      { endpoint: e.campaignStatistics, scope: SCOPES.statisticsRead, handle: handlers.statistics },
      { endpoint: e.campaignStop, scope: SCOPES.campaignWrite, handle: handlers.stop },
    ],
    stats(): CampaignsStats {
      const byStatus: CampaignsStats['byStatus'] = { CREATED: 0, QUEUED: 0, INITIALIZING: 0, RUNNING: 0, STOPPED: 0, ERROR: 0 };
      const polls: Record<string, number> = {};
      const cpmHistory: Record<string, number[]> = {};
      let n = 0;
      for (const c of s.campaigns.values()) {
        byStatus[c.status]++;
        if (n++ < 1000) {
          polls[c.id] = c.polls;
          cpmHistory[c.id] = [...c.cpmHistory];
        }
      }
      return {
        created: s.created,
        idempotentReplays: s.replays,
        nameConflicts: s.nameConflicts,
        starts: s.starts,
        startConflicts: s.startConflicts,
        polls,
        byStatus,
        patches: s.patches,
        cpmHistory,
        realtimeReads: s.realtimeReads,
        statisticsReads: s.statisticsReads,
        contactListReads: s.contactListReads,
        stops: s.stops,
        scripted: s.scripted,
        statusEvents: s.statusEvents,
        statusPolls: { total: s.polls.total, peak1s: s.polls.peak.peak, firstAt: s.polls.firstAt, lastAt: s.polls.lastAt, perSecond: Array.from(s.polls.perSecond, (n) => n ?? 0) },
      };
    },
    reset() {
      timers.clear();
      s = freshState();
    },
    close() {
      timers.clear();
    },
  };
}
