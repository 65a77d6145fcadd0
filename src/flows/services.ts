// The flows pieces a producer (CLI, control API, library) needs, over Redis: validate and
// simulate (pure), publish (check, store the content, record the request, enqueue the step
// job; an invalid flow enqueues nothing), and the views: publish status, revisions, diff,
// rollback, the fleet-wide counters and recorded events. Producers never call CXone.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAuditLog } from '../audit.ts';
import type { Config } from '../config.ts';
import { validateFlow } from '../domain/flows/check-flow.ts';
import type { ValidateResult } from '../domain/flows/check-flow.ts';
import { diffFlows } from '../domain/flows/diff.ts';
import type { FlowChange } from '../domain/flows/diff.ts';
import type { Flow } from '../domain/flows/flow-schema.ts';
import { walkFlow } from '../domain/flows/simulate.ts';
import type { WalkResult } from '../domain/flows/simulate.ts';
import { ErrorCode, PermanentError, ValidationError } from '../errors.ts';
import type { RedisConnection } from '../redis.ts';
import { flowEvents, type RecordedEvent } from './events.ts';
import { countValidation, createBuildCounters, type FlowMetrics } from './flow-metrics.ts';
import { flowJobIds } from './keys.ts';
import type { FlowPublishData } from '../queues/payloads.ts';
import { flowInvalidError } from './publish-steps.ts';
import { createPublishRecords, isFinalStatus, type PublishRecord, type PublishStepLine } from './publish-record.ts';
import { createFlowStore, type FlowHead, type FlowRevision } from './revisions.ts';
import { createSubscriptionStore } from './subscriptions.ts';

export interface FlowServicesDeps {
  config: Config;
  redis: RedisConnection;
  /** Adds the publish step job (the flows module's `flow-publish` queue). */
  enqueuePublish(data: FlowPublishData, opts: { jobId: string }): Promise<void>;
  metrics?: FlowMetrics;
}

export interface PublishOptions {
  message?: string;
  force?: boolean;
  requestId?: string;
}

export interface PublishAccepted {
  publishId: string;
  name: string;
  flowKey: string;
  baseRevision: number;
  warnings: ValidateResult['problems'];
}

export interface FlowOverview {
  head: FlowHead;
  revisions: FlowRevision[];
  events: RecordedEvent[];
}

/** "name@3" -> {name, revision: 3}; anything else is not a revision reference. */
export function parseRevisionRef(ref: string): { name: string; revision: number } | undefined {
  const m = /^(.+)@(\d+)$/.exec(ref);
  return m ? { name: m[1] as string, revision: Number(m[2]) } : undefined;
}

export function createFlowServices(deps: FlowServicesDeps) {
  const { redis, config } = deps;
  const prefix = config.redis.prefix;
  const accountId = config.cxone.accountId;
  const checkOptions = config.flows.check;
  const store = createFlowStore({ redis, prefix });
  const records = createPublishRecords({ redis, prefix });
  const counters = createBuildCounters({ redis, prefix });
  const subscriptions = createSubscriptionStore({ redis, prefix });
  const audit = createAuditLog({ redis, prefix });

  async function revisionFlow(name: string, revision: number): Promise<{ flow: Flow; rev: FlowRevision }> {
    const rev = await store.revision(name, revision);
    if (!rev) throw new ValidationError('revision', [{ path: 'revision', message: `flow "${name}" has no revision ${revision}` }]);
    const flow = await store.getSpec(rev.flowKey);
    if (!flow) throw new PermanentError(`the content of "${name}" revision ${revision} (${rev.flowKey}) is not stored`, { code: ErrorCode.Internal });
    return { flow, rev };
  }

  const services = {
    store,
    records,
    counters,
    subscriptions,
    audit,

    /** Every problem at once; never throws. */
    validate(data: unknown, o: { strict?: boolean } = {}): ValidateResult {
      const r = validateFlow(data, { ...checkOptions, strict: !!o.strict });
      countValidation(deps.metrics, r.problems, r.valid, 'request');
      return r;
    },

    /** The walk for one input sequence, on a flow that passes its checks. */
    simulate(data: unknown, inputs: readonly string[]): { check: ValidateResult; walk: WalkResult | undefined } {
      const check = services.validate(data);
      return { check, walk: check.flow && check.valid ? walkFlow(check.flow, inputs, { terminals: checkOptions.terminals }) : undefined };
    },

    /**
     * Checks the flow and, when it has no error, stores its content and enqueues its
     * publish. An invalid flow is a FLOW_INVALID error with every problem (F-63), counted as
     * a failed validation (F-66), and nothing is enqueued.
     */
    async publish(data: unknown, o: PublishOptions = {}): Promise<PublishAccepted> {
      const r = services.validate(data);
      if (!r.valid || !r.flow) {
        await counters.validation(false);
        const name = typeof (data as { name?: unknown })?.name === 'string' ? (data as { name: string }).name : '(unnamed)';
        await audit.append({ kind: 'flow.validate', accountId, entityId: name, status: 'failed', details: { errors: r.errors, warnings: r.warnings, where: 'request' } });
        throw flowInvalidError(r);
      }
      const flow = r.flow;
      const flowKey = await store.putSpec(flow);
      const head = await store.head(flow.name);
      const publishId = randomUUID();
      const requestedAt = Date.now();
      const message = o.message ?? '';
      await records.create({ publishId, name: flow.name, flowKey, message, force: !!o.force, requestedAt: new Date(requestedAt).toISOString() });
      const baseRevision = head?.latestRevision ?? 0;
      await deps.enqueuePublish(
        { accountId, requestId: o.requestId, publishId, flowKey, name: flow.name, baseRevision, message, force: !!o.force, requestedAt },
        { jobId: flowJobIds.publish(publishId) },
      );
      return { publishId, name: flow.name, flowKey, baseRevision, warnings: r.problems.filter((p) => p.severity === 'warning') };
    },

    async publishStatus(publishId: string): Promise<(PublishRecord & { steps: PublishStepLine[] }) | undefined> {
      const rec = await records.get(publishId);
      return rec ? { ...rec, steps: await records.steps(publishId) } : undefined;
    },

    /** Follows a publish, handing each new step line to `onStep`, until it ends or `timeoutMs` passes. */
    async waitForPublish(publishId: string, onStep: (line: PublishStepLine) => void, o: { timeoutMs: number; intervalMs?: number }): Promise<PublishRecord> {
      const until = Date.now() + o.timeoutMs;
      let shown = 0;
      for (;;) {
        const lines = await records.steps(publishId, shown);
        for (const l of lines) onStep(l);
        shown += lines.length;
        const rec = await records.get(publishId);
        if (!rec) throw new ValidationError('publish', [{ path: 'publishId', message: `no publish ${publishId}` }]);
        if (isFinalStatus(rec.status)) {
          for (const l of await records.steps(publishId, shown)) onStep(l);
          return rec;
        }
        if (Date.now() >= until) {
          throw new PermanentError(`publish ${publishId} still ${rec.status} at step ${rec.step} after ${Math.round(o.timeoutMs / 1000)} s (it goes on; see flow status ${publishId})`, { code: ErrorCode.Deadline });
        }
        await sleep(o.intervalMs ?? 200);
      }
    },

    async overview(name: string, eventCount = 20): Promise<FlowOverview | undefined> {
      const head = await store.head(name);
      if (!head) return undefined;
      return { head, revisions: await store.revisions(name), events: head.cxoneFlowId ? await flowEvents(redis, prefix, head.cxoneFlowId, eventCount) : [] };
    },

    revisionFlow,

    /** Changes from `a` to `b`; each side a flow already loaded, or "name@revision". */
    async diff(a: Flow | string, b: Flow | string): Promise<FlowChange[]> {
      const load = async (x: Flow | string): Promise<Flow> => {
        if (typeof x !== 'string') return x;
        const ref = parseRevisionRef(x);
        if (!ref) throw new ValidationError('diff', [{ path: x, message: 'not a revision reference (name@revision)' }]);
        return (await revisionFlow(ref.name, ref.revision)).flow;
      };
      return diffFlows(await load(a), await load(b));
    },

    /** Publishes the content of an earlier revision again (unchanged when it is the latest). */
    async rollback(name: string, revision: number, o: PublishOptions = {}): Promise<PublishAccepted> {
      const { flow } = await revisionFlow(name, revision);
      return services.publish(flow, { ...o, message: o.message ?? `rollback to revision ${revision}` });
    },

    metrics: () => counters.read(),
  };
  return services;
}

export type FlowServices = ReturnType<typeof createFlowServices>;
