// The flows domain's worker table (src/flows/module.ts loads it where workers run).
import type { ProcessorsFor } from '../platform/domain-module.ts';
import { flowEventWorker } from './flow-event.worker.ts';
import { flowPublishWorker, type FlowPublishHooks } from './flow-publish.worker.ts';
import type { FLOW_QUEUES } from './queues.ts';

export const FLOW_PROCESSORS: ProcessorsFor<keyof typeof FLOW_QUEUES> = {
  flowPublish: (rt) => flowPublishWorker(rt),
  flowEvent: flowEventWorker,
};

/** The same table with test hooks (e.g. a crash between publish steps). */
export function flowProcessorsWith(hooks: FlowPublishHooks): ProcessorsFor<keyof typeof FLOW_QUEUES> {
  return { ...FLOW_PROCESSORS, flowPublish: (rt) => flowPublishWorker(rt, hooks) };
}
