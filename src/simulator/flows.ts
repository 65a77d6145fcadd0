// Call flows (CF): POST /api/flows starts an asynchronous job, GET /api/jobs/{id} moves it
// pending -> running -> completed | failed (or never on), a completed job creates the flow
// or adds a version to the flow of that name, and each change is sent as a flow.* event to
// the subscriptions that asked for it, signed with that subscription's own secret.
import { randomUUID } from 'node:crypto';
import { SimulatorConfigError } from './config.ts';
import { executionDepth, extraRuleProblems, syntaxErrors } from './flows-check.ts';
import { FLOWS_DEFAULTS, flowsConfigSchema, mergeFlowsConfig } from './flows-config.ts';
import type { FlowsConfig } from './flows-config.ts';
import { createFlowEventSender } from './flows-events.ts';
import { flowBodySchema, subscriptionBodySchema } from './flows-schemas.ts';
import type { FlowEventType, FlowVersion, FlowsControl, FlowsStats, Job, JobView, StoredFlow, Subscription } from './flows-schemas.ts';
import { HttpProblem, headerValue, parseJsonBody } from './http-io.ts';
import type { SimResponse } from './http-io.ts';
import { SCOPES } from './scopes.ts';
import type { ModuleDeps, RouteContext, SimModule } from './sim-module.ts';

export interface FlowsModule extends SimModule {
  name: 'flows';
  control: FlowsControl;
  stats(): FlowsStats;
}

export type { FlowsControl, FlowsStats, FlowView } from './flows-schemas.ts';

export function isFlowsModule(m: SimModule): m is FlowsModule {
  return m.name === 'flows' && 'control' in m;
}

const MESSAGES: Record<JobView['status'], string> = {
  pending: 'job queued',
  running: 'verifying and compiling the flow',
  completed: 'flow saved',
  failed: 'flow verification failed',
};

const pathOf = (path: readonly PropertyKey[]) => path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');

function freshState() {
  return {
    jobs: new Map<string, Job>(),
    idempotency: new Map<string, string>(),
    flows: new Map<string, StoredFlow>(),
    byName: new Map<string, string>(),
    subs: new Map<string, Subscription>(),
    created: 0,
    replays: 0,
    polls: 0,
    status422: 0,
    conflicts: 0,
    faults: 0,
    failCreates: 0,
    throttleCreates: 0,
    throttled: 0,
    dropCreates: 0,
    failPolls: 0,
  };
}

export function createFlowsModule(deps: ModuleDeps): FlowsModule {
  let s = freshState();
  let cfg: FlowsConfig = {};
  const knob = <K extends keyof typeof FLOWS_DEFAULTS>(k: K) => (cfg[k] ?? FLOWS_DEFAULTS[k]) as NonNullable<FlowsConfig[K]>;
  const events = createFlowEventSender({ config: () => cfg.events, logger: deps.logger });
  const key = (account: string, name: string) => `${account}\u0000${name}`;

  function publish(flow: StoredFlow, type: FlowEventType, jobId: string | null): void {
    const last = flow.versions[flow.versions.length - 1] as FlowVersion;
    for (const sub of s.subs.values()) {
      if (sub.accountId !== flow.accountId || !sub.types.includes(type)) continue;
      const data = { name: flow.name, version: last.version, ...(jobId ? { jobId } : {}) };
      events.send(sub, { eventId: randomUUID(), eventType: type, flowId: flow.id, timestamp: new Date(deps.now()).toISOString(), data });
    }
  }

  function save(job: Job, at: number): void {
    const existing = s.byName.get(key(job.accountId, job.body.name));
    const flow = existing === undefined ? undefined : s.flows.get(existing);
    const version = { version: (flow?.versions.length ?? 0) + 1, jobId: job.id, at: new Date(at).toISOString() };
    if (flow) {
      flow.versions.push(version);
      job.flowId = flow.id;
      publish(flow, 'flow.updated', job.id);
      return;
    }
    const created: StoredFlow = { id: randomUUID(), accountId: job.accountId, name: job.body.name, deleted: false, versions: [version] };
    s.flows.set(created.id, created);
    s.byName.set(key(job.accountId, created.name), created.id);
    job.flowId = created.id;
    publish(created, 'flow.created', job.id);
  }

  function finish(job: Job, at: number): void {
    if (job.outcome === 'never') return;
    const errors = syntaxErrors(job.body);
    if (errors.length > 0 || job.outcome === 'failed') {
      job.status = 'failed';
      job.errors = errors.length > 0 ? errors : [...knob('jobErrors')];
      return;
    }
    job.status = 'completed';
    save(job, at);
  }

  function advance(job: Job, now: number): void {
    if (job.status === 'completed' || job.status === 'failed') return;
    const byPolls = knob('advanceBy') === 'polls';
    // Poll n (1-based) has seen n - 1 polls before it: pendingPolls 2 answers pending twice.
    const elapsed = byPolls ? job.polls - 1 : now - job.createdAt;
    const pending = byPolls ? knob('pendingPolls') : knob('pendingMs');
    const running = byPolls ? knob('runningPolls') : knob('runningMs');
    if (elapsed < pending) job.status = 'pending';
    else if (elapsed < pending + running || job.outcome === 'never') job.status = 'running';
    else finish(job, now);
  }

  const view = (job: Job): JobView => ({
    id: job.id,
    status: job.status,
    message: MESSAGES[job.status],
    ...(job.flowId ? { flow_id: job.flowId } : {}),
    ...(job.errors ? { errors: job.errors } : {}),
  });

  function injected(): HttpProblem {
    s.faults++;
    return new HttpProblem(knob('failStatus'), { error: 'server_error', message: 'injected fault' });
  }

  function unprocessable(errors: { path: string; message: string }[]): HttpProblem {
    s.status422++;
    return new HttpProblem(422, { error: 'validation', errors });
  }

  function createFlow(ctx: RouteContext): SimResponse {
    if (s.throttleCreates > 0) {
      s.throttleCreates--;
      s.throttled++;
      const after = cfg.throttleRetryAfterS;
      return { status: 429, ...(after == null ? {} : { headers: { 'retry-after': String(after) } }), body: { error: 'too_many_requests', message: 'injected 429' } };
    }
    if (s.failCreates > 0) {
      s.failCreates--;
      throw injected();
    }
    const idemKey = headerValue(ctx.req.headers['idempotency-key']);
    const replay = idemKey === undefined ? undefined : s.jobs.get(s.idempotency.get(key(ctx.auth.accountId, idemKey)) ?? '');
    if (replay) {
      s.replays++;
      return { status: knob('createStatus'), body: { id: replay.id, status: replay.status } };
    }
    let raw: unknown;
    try {
      raw = JSON.parse(ctx.body.toString('utf8'));
    } catch (err) {
      throw new HttpProblem(400, { error: 'malformed_json', message: (err as Error).message });
    }
    const parsed = flowBodySchema.safeParse(raw);
    if (!parsed.success) throw unprocessable(parsed.error.issues.map((i) => ({ path: pathOf(i.path), message: i.message })));
    const extra = extraRuleProblems(parsed.data, cfg.extraSyntaxRules ?? []);
    if (extra.length > 0) throw unprocessable(extra);
    const limit = cfg.maxExecutionDepth;
    if (limit != null && executionDepth(parsed.data) > limit) {
      throw new HttpProblem(504, { error: 'gateway_timeout', message: `flow exceeds execution depth limits (${limit})` });
    }
    const job: Job = {
      id: randomUUID(),
      accountId: ctx.auth.accountId,
      body: parsed.data,
      outcome: cfg.outcomeByName?.[parsed.data.name] ?? knob('outcome'),
      status: 'pending',
      polls: 0,
      createdAt: ctx.now,
    };
    s.jobs.set(job.id, job);
    if (idemKey !== undefined) s.idempotency.set(key(job.accountId, idemKey), job.id);
    s.created++;
    if (s.dropCreates > 0) {
      // The job exists but the client never hears of it: only an idempotency key saves it from a twin.
      s.dropCreates--;
      s.faults++;
      ctx.req.socket.destroy();
    }
    return { status: knob('createStatus'), body: { id: job.id, status: job.status } };
  }

  function getJob(ctx: RouteContext): SimResponse {
    const job = s.jobs.get(ctx.params.id ?? '');
    if (!job || job.accountId !== ctx.auth.accountId) throw new HttpProblem(404, { error: 'not_found', message: `no job ${ctx.params.id ?? ''}` });
    if (s.failPolls > 0) {
      s.failPolls--;
      throw injected();
    }
    job.polls++;
    s.polls++;
    advance(job, ctx.now);
    return { status: 200, body: view(job) };
  }

  function subscribe(ctx: RouteContext): SimResponse {
    const body = parseJsonBody(ctx.body, subscriptionBodySchema);
    const types = [...new Set(body.event_types)].sort();
    for (const sub of s.subs.values()) {
      if (sub.accountId === ctx.auth.accountId && sub.url === body.url && sub.types.join() === types.join()) {
        s.conflicts++;
        throw new HttpProblem(409, { error: 'conflict', message: 'a subscription with this url and event_types exists', id: sub.id });
      }
    }
    const sub: Subscription = { id: randomUUID(), accountId: ctx.auth.accountId, url: body.url, types, secret: body.secret };
    s.subs.set(sub.id, sub);
    return { status: 201, body: { id: sub.id } };
  }

  const live = (id: string) => {
    const f = s.flows.get(id);
    return f && !f.deleted ? f : undefined;
  };

  const control: FlowsControl = {
    configure(patch) {
      const parsed = flowsConfigSchema.safeParse(patch);
      if (!parsed.success) throw new SimulatorConfigError(parsed.error.issues.map((i) => ({ field: `flows.${pathOf(i.path)}`, message: i.message })));
      cfg = mergeFlowsConfig(cfg, parsed.data);
      if (parsed.data.failNextCreates !== undefined) s.failCreates = parsed.data.failNextCreates;
      if (parsed.data.throttleNextCreates !== undefined) s.throttleCreates = parsed.data.throttleNextCreates;
      if (parsed.data.dropNextCreateResponses !== undefined) s.dropCreates = parsed.data.dropNextCreateResponses;
      if (parsed.data.failNextPolls !== undefined) s.failPolls = parsed.data.failNextPolls;
      return cfg;
    },
    config: () => cfg,
    flows: (name) =>
      [...s.flows.values()]
        .filter((f) => name === undefined || f.name === name)
        .map((f) => ({ id: f.id, name: f.name, version: f.versions.length, deleted: f.deleted, versions: [...f.versions] })),
    deleteFlow(id) {
      const f = live(id);
      if (!f) return false;
      f.deleted = true;
      s.byName.delete(key(f.accountId, f.name));
      publish(f, 'flow.deleted', null);
      return true;
    },
    updateFlow(id) {
      const f = live(id);
      if (!f) return false;
      f.versions.push({ version: f.versions.length + 1, jobId: null, at: new Date(deps.now()).toISOString() });
      publish(f, 'flow.updated', null);
      return true;
    },
    subscriptions: () => [...s.subs.values()].map((x) => ({ id: x.id, url: x.url, event_types: [...x.types] })),
  };

  const e = deps.endpoints;
  return {
    name: 'flows',
    control,
    routes: [
      { endpoint: e.flowCreate, scope: SCOPES.flowWrite, handle: createFlow },
      { endpoint: e.jobGet, scope: SCOPES.flowRead, handle: getJob },
      { endpoint: e.eventSubscriptionCreate, scope: SCOPES.eventsWrite, handle: subscribe },
    ],
    stats(): FlowsStats {
      const jobsByStatus: FlowsStats['jobsByStatus'] = { pending: 0, running: 0, completed: 0, failed: 0 };
      for (const j of s.jobs.values()) jobsByStatus[j.status]++;
      const flowsByName: Record<string, number> = {};
      for (const f of s.flows.values()) if (!f.deleted) flowsByName[f.name] = f.versions.length;
      const ev = events.stats();
      return {
        jobsCreated: s.created,
        idempotentReplays: s.replays,
        jobPolls: s.polls,
        jobsByStatus,
        flowsByName,
        subscriptions: s.subs.size,
        eventsSent: ev.sent,
        eventsFailed: ev.failed,
        eventsPending: ev.pending,
        status422: s.status422,
        subscriptionConflicts: s.conflicts,
        faultsInjected: s.faults,
        createsThrottled: s.throttled,
      };
    },
    reset() {
      s = freshState();
      events.reset();
    },
    close() {
      void events.close();
    },
  };
}
