// The library door for Node.js callers: the same validation and enqueue path as the CLI
// and the HTTP API.
//
//   import { createFleetClient } from 'cxone-fleet';
//   const fleet = createFleetClient();
//   const summary = await fleet.sms.sendBatch([{ to: '+14155550100', text: 'Hi' }], { defaults: { from: 'ACME', campaignId: 'c1' } });
//   await fleet.close();
import { randomUUID } from 'node:crypto';
import { environmentWith, loadConfig } from './config.ts';
import { createProducerContext } from './producer-context.ts';
import { waitForReady } from './redis.ts';
import { createSmsServices } from './sms/services.ts';
import { flowServicesFor } from './flows/producer.ts';
import type { PublishStepLine } from './flows/publish-record.ts';
import { createPreviewServices } from './preview/services.ts';
import { ValidationError } from './errors.ts';
import { createCampaignServices } from './campaigns/services.ts';
import type { BatchSummary, RowVerdict } from './sms/intake.ts';

export type { BatchSummary, RowVerdict } from './sms/intake.ts';
export type { BatchRecord, MessageRecord } from './sms/message-store.ts';
export { QUEUES } from './queues/registry.ts';
export { analyzeSms, splitSms } from './domain/sms/encoding.ts';
export { normalizePhone } from './domain/sms/phone.ts';
// Call flows as code: parse, check every problem at once, walk, and test with coverage.
export { checkFlow, validateFlow } from './domain/flows/check-flow.ts';
export type { CheckResult, ValidateResult } from './domain/flows/check-flow.ts';
export { loadCases, runCases } from './domain/flows/flow-cases.ts';
export type { CasesReport, CaseResult, Coverage, FlowCase } from './domain/flows/flow-cases.ts';
export { flowSchema } from './domain/flows/flow-schema.ts';
export type { Flow, FlowAction, FlowNode, FlowTransition } from './domain/flows/flow-schema.ts';
export { loadFlow, loadFlowFile } from './domain/flows/load-flow.ts';
export { formatProblem, PROBLEM_CODES } from './domain/flows/problems.ts';
export type { CheckOptions, FlowProblem, ProblemCode } from './domain/flows/problems.ts';
export { countFlowPaths, walkFlow } from './domain/flows/simulate.ts';
export { diffFlows } from './domain/flows/diff.ts';
export { flowContent } from './domain/flows/canonical.ts';
export type { PublishAccepted } from './flows/services.ts';
export type { PublishRecord, PublishStepLine } from './flows/publish-record.ts';
export type { FlowRevision } from './flows/revisions.ts';
// Preview campaigns: the spec, its payload, and the scrub rules.
export { checkPreviewSpec, parsePreviewSpec, previewSpecSchema } from './domain/preview/spec.ts';
export type { CheckedSpec, PreviewSpec, PreviewSpecInput } from './domain/preview/spec.ts';
export type { ActivationRecord } from './preview/activation-state.ts';
// Campaigns: launch specs, the pacing policy (pure), and the launch outcome a caller waits on.
export { launchSpecSchema } from './domain/campaigns/launch.ts';
export type { LaunchSpec, LaunchSpecInput } from './domain/campaigns/launch.ts';
export { decidePacing, abandonWindows, PACING_POLICIES } from './domain/campaigns/pacing.ts';
export type { PacingDecision, PacingPolicy } from './domain/campaigns/pacing.ts';
export { launchOutcome, parseLaunchSpec } from './campaigns/services.ts';
export type { LaunchOutcome, LaunchOptions, PacingChange } from './campaigns/services.ts';
export type { LaunchRecord } from './campaigns/launch-store.ts';

/** One message as a caller gives it; the same fields as a CSV row or JSONL line. */
export interface SmsInput {
  to: string;
  text: string;
  ref?: string;
  from?: string;
  campaignId?: string;
  sendAt?: string | number;
  priority?: 'otp' | 'transactional' | 'bulk';
}

export interface FleetClientOptions {
  /** Environment to read configuration from (default process.env). */
  env?: Record<string, string | undefined>;
  /** The CXone account of CXONE_ACCOUNTS_FILE to address (default: CXONE_ACCOUNT, or the file's only one). */
  account?: string;
}

export function createFleetClient(opts: FleetClientOptions = {}) {
  const env = opts.env ?? environmentWith();
  const config = loadConfig(opts.account === undefined ? env : { ...env, CXONE_ACCOUNT: opts.account });
  const ctx = createProducerContext(config, { role: 'library' });
  const sms = createSmsServices(ctx);
  const flows = flowServicesFor(ctx);
  const preview = createPreviewServices(ctx);
  const campaigns = createCampaignServices(ctx);
  const afterReady = <T>(fn: () => Promise<T>): Promise<T> => waitForReady(ctx.redis).then(fn);
  const ready = () => waitForReady(ctx.redis);
  return {
    sms: {
      /** Validates every message, reports bad ones per row, enqueues the rest. */
      async sendBatch(
        messages: Iterable<SmsInput> | AsyncIterable<SmsInput>,
        o: { batchId?: string; defaults?: { from?: string; campaignId?: string }; dryRun?: boolean; allowRepeat?: boolean; onRow?: (v: RowVerdict) => void } = {},
      ): Promise<BatchSummary> {
        async function* rows() {
          let row = 0;
          for await (const input of messages) yield { row: ++row, input };
        }
        await waitForReady(ctx.redis);
        return sms.intake.submit(rows(), { batchId: o.batchId ?? `lib-${randomUUID()}`, defaults: o.defaults, dryRun: o.dryRun, allowRepeat: o.allowRepeat, onRow: o.onRow });
      },
      getBatch: (batchId: string) => afterReady(() => sms.store.getBatch(batchId)),
      getMessage: (messageId: string) => afterReady(() => sms.store.getMessage(messageId)),
      consent: methodsAfterReady(sms.consent, ready),
    },
    flows: {
      /** Every problem at once; never throws. */
      validate: (flow: unknown, o: { strict?: boolean } = {}) => flows.validate(flow, o),
      simulate: (flow: unknown, inputs: readonly string[]) => flows.simulate(flow, inputs),
      /** Checks, stores and enqueues the publish; a flow with errors throws FLOW_INVALID naming each. */
      async publish(flow: unknown, o: { message?: string; force?: boolean } = {}) {
        await waitForReady(ctx.redis);
        return flows.publish(flow, o);
      },
      status: (publishId: string) => afterReady(() => flows.publishStatus(publishId)),
      /** Resolves when the publish has ended (completed, unchanged or failed), handing over each step on the way. */
      waitForPublish: (publishId: string, o: { timeoutMs?: number; onStep?: (line: PublishStepLine) => void } = {}) =>
        afterReady(() => flows.waitForPublish(publishId, o.onStep ?? (() => undefined), { timeoutMs: o.timeoutMs ?? 300_000 })),
      revisions: (name: string) => afterReady(() => flows.store.revisions(name)),
      rollback: (name: string, revision: number, o: { message?: string } = {}) => afterReady(() => flows.rollback(name, revision, o)),
      metrics: () => afterReady(() => flows.metrics()),
    },
    campaigns: {
      /** Checks a preview spec (object or YAML/JSON text) and enqueues its activation. */
      async activatePreview(spec: unknown, o: { wait?: boolean; timeoutMs?: number } = {}) {
        const checked = typeof spec === 'string' ? preview.validate(spec) : preview.validateObject(spec);
        if (!checked.ok) throw new ValidationError('preview spec', checked.errors);
        await waitForReady(ctx.redis);
        const started = await preview.activate(checked.value);
        return o.wait ? { ...started, state: await preview.wait(started.activationId, o.timeoutMs ?? 600_000) } : started;
      },
      previewStatus: (ref: string) => afterReady(() => preview.status(ref)),
      previewContacts: (activationId: string, o: { excluded?: boolean; reason?: string; offset?: number; count?: number } = {}) => afterReady(() => preview.contacts(activationId, o)),
      dnc: methodsAfterReady(preview.dnc, ready),
      /** Records and enqueues a launch; the same launchId twice is one launch. */
      launch: (spec: unknown, o: Parameters<typeof campaigns.launch>[1] = {}) => afterReady(() => campaigns.launch(spec, o)),
      /** The launch after it settled (RUNNING or failed), or as it stands after `timeoutMs`. */
      awaitLaunch: (launchId: string, timeoutMs: number) => afterReady(() => campaigns.awaitLaunch(launchId, timeoutMs)),
      getLaunch: (launchId: string) => afterReady(() => campaigns.getLaunch(launchId)),
      get: (campaignId: string) => afterReady(() => campaigns.campaign(campaignId)),
      setPacing: (campaignId: string, change: Parameters<typeof campaigns.setPacing>[1]) => afterReady(() => campaigns.setPacing(campaignId, change)),
      stop: (campaignId: string) => afterReady(() => campaigns.stop(campaignId)),
      summary: (campaignId: string, o: { refresh?: boolean; timeoutMs?: number } = {}) => afterReady(() => campaigns.freshSummary(campaignId, { timeoutMs: o.timeoutMs ?? 15_000, refresh: o.refresh })),
      compliance: (campaignId: string, decisions?: number) => afterReady(() => campaigns.compliance(campaignId, decisions)),
    },
    close: () => ctx.close(),
  };
}

/**
 * The store with each of its methods waiting for the Redis connection first: the library's
 * connection fails fast instead of queueing commands, so a call made right after
 * createFleetClient() would otherwise throw while it connects.
 */
function methodsAfterReady<T extends object>(store: T, ready: () => Promise<void>): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(store)) {
    wrapped[name] = typeof value === 'function' ? (...args: unknown[]) => ready().then(() => (value as (...a: unknown[]) => unknown).apply(store, args)) : value;
  }
  return wrapped as T;
}
