// Wiring of the flow-publish step job: the publish steps over this process's CXone account,
// Redis stores, audit and metrics.
import { createAuditLog } from '../audit.ts';
import { secretEnvironment } from '../config.ts';
import type { Processor } from '../queues/define-worker.ts';
import { defineStepJob } from '../queues/step-job.ts';
import type { Runtime } from '../runtime.ts';
import { createBuildCounters, createFlowMetrics } from './flow-metrics.ts';
import { createPublishRecords } from './publish-record.ts';
import { createPublishSteps, type PublishDeps, type PublishState, type PublishStepName } from './publish-steps.ts';
import { createFlowStore } from './revisions.ts';
import { createSubscriptionStore } from './subscriptions.ts';

/** Test hooks (a crash between steps). */
export type FlowPublishHooks = Pick<PublishDeps, 'onStep'>;

export function flowPublishWorker(rt: Runtime, hooks: FlowPublishHooks = {}): Processor<'flowPublish'> {
  const { config, redis } = rt;
  const prefix = config.redis.prefix;
  const f = config.flows;
  const steps = createPublishSteps({
    client: rt.cxone.client,
    store: createFlowStore({ redis, prefix }),
    records: createPublishRecords({ redis, prefix }),
    counters: createBuildCounters({ redis, prefix }),
    audit: createAuditLog({ redis, prefix }),
    accountId: config.cxone.accountId,
    checkOptions: f.check,
    pollMs: f.pollMs,
    maxPolls: f.maxPolls,
    deadlineMs: f.deadlineMs,
    metrics: createFlowMetrics(rt.metrics.registry),
    subscription: f.webhook && {
      url: f.webhook.url,
      secretEnv: f.webhook.secretEnv,
      deps: { store: createSubscriptionStore({ redis, prefix }), env: secretEnvironment(), prefixes: config.secretEnvPrefixes },
    },
    ...hooks,
  });
  return defineStepJob<'flowPublish', PublishStepName, PublishState>({
    first: steps.first,
    initial: () => ({}),
    steps: steps.steps,
    deadlineMs: steps.deadlineMs,
    deadlineDetail: steps.deadlineDetail,
    onFinalFailure: (data, err, ctx) => steps.onFinalFailure(data, err, ctx.state),
  });
}
