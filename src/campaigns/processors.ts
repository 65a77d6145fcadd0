// The campaigns domain's worker table (src/campaigns/module.ts loads it where workers run).
import type { ProcessorsFor } from '../platform/domain-module.ts';
import type { Processor } from '../queues/define-worker.ts';
import type { Runtime } from '../runtime.ts';
import { previewActivatedHandler } from '../preview/confirm.ts';
import { createActivationState } from '../preview/activation-state.ts';
import { previewMetrics } from '../preview/metrics.ts';
import { CAMPAIGN_EVENT_HANDLERS, createCampaignEventProcessor } from './events.ts';
import { createLaunchProcessor, type LaunchDeps } from './launch-processor.ts';
import { createOperationProcessor } from './operation-processor.ts';
import { createPacingCheck } from './pacing-processor.ts';
import type { CAMPAIGN_QUEUES } from './queues.ts';
import { campaignWorkerDeps } from './worker-deps.ts';

export type CampaignProcessors = ProcessorsFor<keyof typeof CAMPAIGN_QUEUES>;
export type CampaignHooks = Pick<LaunchDeps, 'onStep' | 'random'>;

/** campaign-operation: a launch is a step job; the other operations are one call each. */
export function campaignOperationWorker(rt: Runtime, hooks: CampaignHooks = {}): Processor<'campaignOperation'> {
  const d = campaignWorkerDeps(rt);
  const launch = createLaunchProcessor({ ...d, dncMaxAgeDays: d.config.dncMaxAgeDays, ...hooks });
  const other = createOperationProcessor(d);
  const processor: Processor<'campaignOperation'> = (data, ctx) => (data.op === 'launch' ? launch(data, ctx) : other(data, ctx));
  processor.onFinalFailure = async (data, err, ctx) => {
    if (data.op === 'launch') await launch.onFinalFailure?.(data, err, ctx);
  };
  return processor;
}

export const CAMPAIGN_PROCESSORS: CampaignProcessors = {
  campaignOperation: (rt) => campaignOperationWorker(rt),
  pacingCheck: (rt) => {
    const d = campaignWorkerDeps(rt);
    return createPacingCheck({ ...d, settings: { targetAnswerRate: d.config.pacing.targetAnswerRate, realtimeWindowMs: d.config.pacing.realtimeWindowMs, budget: d.config.pacing.budget } });
  },
  campaignEvent: (rt) => {
    const d = campaignWorkerDeps(rt);
    const preview = previewActivatedHandler({
      state: createActivationState({ redis: rt.redis, prefix: rt.config.redis.prefix }),
      metrics: previewMetrics(rt.metrics.registry),
    });
    return createCampaignEventProcessor(d, [...CAMPAIGN_EVENT_HANDLERS, preview]);
  },
};

/** The same table with test hooks (a crash between launch steps, a fixed jitter). */
export function campaignProcessorsWith(hooks: CampaignHooks): CampaignProcessors {
  return { ...CAMPAIGN_PROCESSORS, campaignOperation: (rt) => campaignOperationWorker(rt, hooks) };
}
