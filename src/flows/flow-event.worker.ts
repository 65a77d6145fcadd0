// The flow-event worker: each verified flow.* event recorded once, drift reported.
import { createAuditLog } from '../audit.ts';
import type { Processor } from '../queues/define-worker.ts';
import type { Runtime } from '../runtime.ts';
import { createFlowEventRecorder } from './events.ts';
import { createFlowMetrics } from './flow-metrics.ts';
import { createFlowStore } from './revisions.ts';

export function flowEventWorker(rt: Runtime): Processor<'flowEvent'> {
  const prefix = rt.config.redis.prefix;
  const record = createFlowEventRecorder({
    redis: rt.redis,
    prefix,
    store: createFlowStore({ redis: rt.redis, prefix }),
    audit: createAuditLog({ redis: rt.redis, prefix }),
    accountId: rt.config.cxone.accountId,
    metrics: createFlowMetrics(rt.metrics.registry),
  });
  return async (data, { log }) => {
    const r = await record(data);
    if (r.drift && !r.duplicate) log.warn({ flowId: r.flowId, eventType: r.eventType, eventId: r.eventId }, 'flow drift: a change the fleet did not cause');
    return { eventType: r.eventType, drift: r.drift, duplicate: r.duplicate };
  };
}
