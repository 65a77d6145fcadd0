// The preview domain's worker table (src/preview/module.ts loads it where workers run).
import type { ProcessorsFor } from '../platform/domain-module.ts';
import { previewActivationWorker, type PreviewHooks } from './preview-activation.worker.ts';
import type { PREVIEW_QUEUES } from './queues.ts';

export type PreviewProcessors = ProcessorsFor<keyof typeof PREVIEW_QUEUES>;

export const PREVIEW_PROCESSORS: PreviewProcessors = {
  previewActivation: (rt) => previewActivationWorker(rt),
};

/** The same table with test hooks (a crash after a page, a moved clock). */
export function previewProcessorsWith(hooks: PreviewHooks): PreviewProcessors {
  return { previewActivation: (rt) => previewActivationWorker(rt, hooks) };
}
