// The flows services over a producer's context (CLI, ingress, library): publishes go to the
// flow-publish queue under their deterministic job id.
import type { ProducerContext } from '../producer-context.ts';
import { createFlowMetrics } from './flow-metrics.ts';
import type { Metrics } from '../metrics.ts';
import { createFlowServices, type FlowServices } from './services.ts';

export function flowServicesFor(ctx: Pick<ProducerContext, 'config' | 'redis' | 'enqueuer'>, metrics?: Pick<Metrics, 'registry'>): FlowServices {
  return createFlowServices({
    config: ctx.config,
    redis: ctx.redis,
    metrics: metrics ? createFlowMetrics(metrics.registry) : undefined,
    enqueuePublish: async (data, opts) => void (await ctx.enqueuer.enqueue('flowPublish', data, opts)),
  });
}
