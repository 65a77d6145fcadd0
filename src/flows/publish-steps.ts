// Publishing one flow as a resumable step job (CF 176-249, design 3.5):
//   validate (again, in the worker: defence in depth; the seed's validate and simulate
//   audits) -> compare (unchanged since the latest revision: done, unless forced) ->
//   submit (POST /api/flows with an idempotency key per content and base revision, so a
//   retry after a lost response or a crash finds the same CXone job) -> poll (GET
//   /api/jobs/{id} after jittered waits: completed records the revision, failed shows the
//   server's errors, the poll limit is a clear timeout) -> subscribe (the configured
//   subscription, once; a failure is a warning, F-54).
// Each step records its line for `flow publish --wait` and its audit record.
import type { AuditLog } from '../audit.ts';
import { createFlowJob, getFlowJob } from '../cxone/flows.ts';
import type { CxoneClient } from '../cxone/http.ts';
import { checkFlow } from '../domain/flows/check-flow.ts';
import type { CheckResult } from '../domain/flows/check-flow.ts';
import { formatProblem } from '../domain/flows/problems.ts';
import type { CheckOptions, FlowProblem, ProblemCode } from '../domain/flows/problems.ts';
import { ErrorCode, FleetError, PermanentError } from '../errors.ts';
import type { BuildCounters, FlowMetrics } from './flow-metrics.ts';
import { countValidation } from './flow-metrics.ts';
import { flowIdempotencyKey } from './keys.ts';
import type { FlowPublishData } from '../queues/payloads.ts';
import type { PublishRecords } from './publish-record.ts';
import type { FlowStore } from './revisions.ts';
import type { StepContext, StepOutcome } from '../queues/step-job.ts';
import { registerSubscription } from './subscriptions.ts';
import type { SubscriptionDeps } from './subscriptions.ts';

export type PublishStepName = 'validate' | 'compare' | 'submit' | 'poll' | 'subscribe';

export interface PublishState {
  /** When the first validation of this publish ran (build latency starts there, F-57). */
  startedAt?: number;
  cxoneJobId?: string;
  polls?: number;
  lastJobStatus?: string;
  cxoneFlowId?: string;
  revision?: number;
}

export interface PublishDeps {
  client: CxoneClient;
  store: FlowStore;
  records: PublishRecords;
  counters: BuildCounters;
  audit: AuditLog;
  accountId: string;
  checkOptions?: Partial<CheckOptions>;
  /** Wait between polls: pollMs plus up to half of it again at random (F-45). */
  pollMs: number;
  maxPolls: number;
  /** How long a publish may take in all, from its first step (retries, 429 deferrals, polls). */
  deadlineMs: number;
  metrics?: FlowMetrics;
  /** The subscription to register after a publish when none is recorded for its URL (F-54). */
  subscription?: { url: string; secretEnv: string; deps: Omit<SubscriptionDeps, 'client'> };
  /** Tests: runs after each step's outcome is recorded (a crash between steps). */
  onStep?: (step: PublishStepName, publishId: string) => void | Promise<void>;
  random?: () => number;
  now?: () => number;
}

type Ctx = StepContext<FlowPublishData, PublishState, PublishStepName>;

/** Problems the seed finds by walking paths (its "simulate" step, CF 138-173); the rest are its "validate". */
const PATH_CODES: ReadonlySet<ProblemCode> = new Set<ProblemCode>(['DEPTH_EXCEEDED', 'CYCLE', 'DEAD_END', 'UNREACHABLE', 'DISCLOSURE_NOT_FIRST', 'ENTRY_MISSING']);

const errorsOf = (ps: readonly FlowProblem[]) => ps.filter((p) => p.severity === 'error');

/** The FLOW_INVALID error of a flow that fails its checks: one line per problem. */
export function flowInvalidError(r: Pick<CheckResult, 'problems' | 'errors'>, details: Record<string, unknown> = {}): PermanentError {
  const lines = errorsOf(r.problems).map(formatProblem);
  return new PermanentError(`flow is invalid (${r.errors} error${r.errors === 1 ? '' : 's'}):\n${lines.join('\n')}`, {
    code: ErrorCode.FlowInvalid,
    details: { problems: r.problems.map((p) => ({ path: p.path, code: p.code, message: p.message, severity: p.severity })), ...details },
  });
}

export function createPublishSteps(deps: PublishDeps) {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const audit = (kind: string, status: string, data: FlowPublishData, extra: { cxoneId?: string; latencyMs?: number; errorCode?: string; details?: Record<string, string | number | boolean> } = {}) =>
    deps.audit.append({ kind, accountId: deps.accountId, entityId: data.name, status, ...extra });
  const after = async (step: PublishStepName, data: FlowPublishData) => deps.onStep?.(step, data.publishId);
  const pollDelay = () => Math.round(deps.pollMs + random() * (deps.pollMs / 2));

  async function validate(ctx: Ctx): Promise<StepOutcome<PublishStepName>> {
    const { data } = ctx;
    const first = ctx.state.startedAt === undefined;
    if (first) await ctx.save({ startedAt: now() });
    await deps.records.update(data.publishId, { status: 'running' });
    const flow = await deps.store.getSpec(data.flowKey);
    if (!flow) throw new PermanentError(`no stored flow content ${data.flowKey} for "${data.name}"`, { code: ErrorCode.Validation });
    const r = checkFlow(flow, deps.checkOptions);
    if (first) {
      countValidation(deps.metrics, r.problems, r.valid, 'worker');
      await deps.counters.validation(r.valid);
    }
    const ruleErrors = errorsOf(r.problems).filter((p) => !PATH_CODES.has(p.code)).length;
    const pathErrors = r.errors - ruleErrors;
    await audit('flow.validate', ruleErrors === 0 ? 'passed' : 'failed', data, { details: { errors: ruleErrors, warnings: r.warnings } });
    await audit('flow.simulate', pathErrors === 0 ? 'passed' : 'failed', data, { details: { errors: pathErrors, depth: r.depth ?? -1, paths: r.paths === null ? 'unbounded' : String(r.paths) } });
    if (!r.valid) {
      await deps.records.step(data.publishId, { step: 'validate', status: 'failed', detail: `${r.errors} error(s)` });
      throw flowInvalidError(r, { audited: true });
    }
    const paths = r.paths === null ? 'unbounded paths' : `${r.paths} path(s)`;
    await deps.records.step(data.publishId, { step: 'validate', status: 'ok', detail: `${flow.nodes.length} nodes, depth ${r.depth ?? '?'}, ${paths}, ${r.warnings} warning(s)` });
    await after('validate', data);
    return { next: 'compare' };
  }

  async function compare(ctx: Ctx): Promise<StepOutcome<PublishStepName>> {
    const { data } = ctx;
    const head = await deps.store.head(data.name);
    if (head && head.latestFlowKey === data.flowKey && !data.force) {
      // The step line before the final status, here and below: a reader that sees the status
      // final reads the step lines once more and stops.
      await deps.records.step(data.publishId, { step: 'unchanged', status: 'ok', detail: `same content as revision ${head.latestRevision}; no CXone job (--force publishes anyway)` });
      await deps.records.update(data.publishId, { status: 'unchanged', revision: head.latestRevision, cxoneFlowId: head.cxoneFlowId });
      await audit('flow.publish', 'unchanged', data, { cxoneId: head.cxoneFlowId, details: { revision: head.latestRevision } });
      deps.metrics?.builds.inc({ result: 'unchanged' });
      return { done: true, result: { unchanged: true, revision: head.latestRevision, cxoneFlowId: head.cxoneFlowId } };
    }
    await after('compare', data);
    return { next: 'submit' };
  }

  async function submit(ctx: Ctx): Promise<StepOutcome<PublishStepName>> {
    const { data } = ctx;
    const flow = await deps.store.getSpec(data.flowKey);
    if (!flow) throw new PermanentError(`no stored flow content ${data.flowKey} for "${data.name}"`, { code: ErrorCode.Validation });
    const started = performance.now();
    const res = await createFlowJob(deps.client, flow, { signal: ctx.signal, idempotencyKey: flowIdempotencyKey(data.flowKey, data.baseRevision) });
    // Marked the fleet's own before anything else, so its flow.* event is never taken for drift.
    await deps.store.markOwnJob(res.jobId, data.publishId);
    await ctx.save({ cxoneJobId: res.jobId, polls: 0 });
    await deps.records.update(data.publishId, { cxoneJobId: res.jobId });
    await deps.records.step(data.publishId, { step: 'submit', status: 'ok', detail: `CXone job ${res.jobId}` });
    await audit('flow.create', 'submitted', data, { cxoneId: res.jobId, latencyMs: Math.round(performance.now() - started) });
    await after('submit', data);
    return { wait: pollDelay(), then: 'poll' };
  }

  async function poll(ctx: Ctx): Promise<StepOutcome<PublishStepName>> {
    const { data } = ctx;
    const jobId = ctx.state.cxoneJobId;
    if (!jobId) return { next: 'submit' };
    const job = await getFlowJob(deps.client, jobId, { signal: ctx.signal });
    const polls = (ctx.state.polls ?? 0) + 1;
    const previous = ctx.state.lastJobStatus;
    deps.metrics?.jobPolls.inc({ status: job.status });
    await ctx.save({ polls, lastJobStatus: job.status });
    await deps.records.update(data.publishId, { polls });
    if (job.status !== previous && job.status !== 'completed' && job.status !== 'failed') {
      await deps.records.step(data.publishId, { step: 'poll', status: job.status, detail: `poll ${polls}: ${job.message ?? job.status}` });
    }
    if (job.status === 'completed') return completed(ctx, jobId, job.flow_id, polls);
    if (job.status === 'failed') {
      const errors = job.errors?.length ? job.errors : [job.message ?? 'no reason given'];
      await deps.records.update(data.publishId, { serverErrors: errors });
      await audit('flow.persist', 'failed', data, { cxoneId: jobId, errorCode: ErrorCode.FlowJobFailed, details: { errors: errors.join(', ').slice(0, 2000) } });
      throw new PermanentError(`job failed: ${errors.join(', ')}`, { code: ErrorCode.FlowJobFailed, details: { cxoneJobId: jobId, serverErrors: errors, audited: true } });
    }
    if (polls >= deps.maxPolls) {
      await audit('flow.persist', 'incomplete', data, { cxoneId: jobId, errorCode: ErrorCode.Deadline, details: { polls, status: job.status } });
      throw new PermanentError(`job polling timed out after ${deps.maxPolls} attempts`, { code: ErrorCode.Deadline, details: { cxoneJobId: jobId, lastStatus: job.status, audited: true } });
    }
    return { wait: pollDelay(), then: 'poll' };
  }

  async function completed(ctx: Ctx, jobId: string, flowId: string | undefined, polls: number): Promise<StepOutcome<PublishStepName>> {
    const { data } = ctx;
    if (!flowId) throw new PermanentError(`CXone job ${jobId} completed without a flow_id`, { code: ErrorCode.CxoneBadResponse });
    const { revision, isNew } = await deps.store.recordRevision(data.name, {
      flowKey: data.flowKey,
      message: data.message,
      publishedAt: new Date(now()).toISOString(),
      cxoneJobId: jobId,
      cxoneFlowId: flowId,
      publishId: data.publishId,
    });
    // Counted once per CXone job: a retry after a crash here, or a second publish that was
    // handed the same job by its idempotency key, finds the revision recorded already.
    if (isNew) {
      const latencyMs = now() - (ctx.state.startedAt ?? data.requestedAt);
      await deps.counters.build(latencyMs);
      deps.metrics?.builds.inc({ result: 'completed' });
      deps.metrics?.buildSeconds.observe(latencyMs / 1000);
      await audit('flow.persist', 'completed', data, { cxoneId: flowId, latencyMs: Math.round(latencyMs), details: { revision, jobId, polls } });
    }
    await ctx.save({ cxoneFlowId: flowId, revision });
    await deps.records.update(data.publishId, { cxoneFlowId: flowId, revision });
    await deps.records.step(data.publishId, { step: 'persist', status: 'completed', detail: `flow ${flowId} revision ${revision}` });
    await after('poll', data);
    return { next: 'subscribe' };
  }

  async function subscribe(ctx: Ctx): Promise<StepOutcome<PublishStepName>> {
    const { data } = ctx;
    const sub = deps.subscription;
    if (sub && !(await sub.deps.store.findByUrl(sub.url))) {
      try {
        const r = await registerSubscription({ ...sub.deps, client: deps.client }, { url: sub.url, secretEnv: sub.secretEnv }, ctx.signal);
        await audit('flow.webhook', r.created ? 'registered' : 'exists', data, { cxoneId: r.id });
        await deps.records.step(data.publishId, { step: 'subscribe', status: 'ok', detail: `subscription ${r.id} for ${sub.url}` });
      } catch (err) {
        const warning = `subscription for ${sub.url} not registered: ${(err as Error).message}`;
        await audit('flow.webhook', 'failed', data, { errorCode: err instanceof FleetError ? err.code : 'UNEXPECTED' });
        await deps.records.update(data.publishId, { warning });
        await deps.records.step(data.publishId, { step: 'subscribe', status: 'warning', detail: warning });
      }
    }
    await deps.records.step(data.publishId, { step: 'done', status: 'completed', detail: `flow ${ctx.state.cxoneFlowId ?? '?'} revision ${ctx.state.revision ?? '?'}` });
    await deps.records.update(data.publishId, { status: 'completed' });
    return { done: true, result: { cxoneFlowId: ctx.state.cxoneFlowId, revision: ctx.state.revision } };
  }

  return {
    first: 'validate' as const,
    steps: { validate, compare, submit, poll, subscribe },
    deadlineMs: () => deps.deadlineMs,
    /** What a publish past its deadline was waiting for. */
    deadlineDetail: (ctx: Ctx) => (ctx.state.cxoneJobId ? `CXone job ${ctx.state.cxoneJobId} of "${ctx.data.name}" still ${ctx.state.lastJobStatus ?? 'unpolled'} after ${ctx.state.polls ?? 0} poll(s)` : undefined),
    /** The publish is over and failed: its record says why; an unaudited failure gets its audit here. */
    async onFinalFailure(data: FlowPublishData, err: unknown, state?: PublishState): Promise<void> {
      const fe = err instanceof FleetError ? err : undefined;
      const message = err instanceof Error ? err.message : String(err);
      await deps.records.step(data.publishId, { step: 'failed', status: fe?.code ?? 'UNEXPECTED', detail: message });
      await deps.records.update(data.publishId, { status: 'failed', errorCode: fe?.code ?? 'UNEXPECTED', error: message });
      deps.metrics?.builds.inc({ result: 'failed' });
      if (fe?.details?.audited === true) return;
      const submitted = state?.cxoneJobId !== undefined;
      // The job's deadline passed while CXone's job ran on: the seed's "persist incomplete".
      const status = submitted && fe?.code === ErrorCode.Deadline ? 'incomplete' : 'failed';
      await audit(submitted ? 'flow.persist' : 'flow.create', status, data, { errorCode: fe?.code ?? 'UNEXPECTED', ...(submitted ? { cxoneId: state.cxoneJobId } : {}) });
    },
  };
}

export type PublishSteps = ReturnType<typeof createPublishSteps>;
