// preview-activation: wiring only; the logic is src/preview/activation-processor.ts.
import { createAuditLog } from '../audit.ts';
import type { Runtime } from '../runtime.ts';
import { createActivationState } from './activation-state.ts';
import { createPreviewProcessor, type PreviewDeps } from './activation-processor.ts';
import { createDncStore } from './dnc-store.ts';
import { previewMetrics } from './metrics.ts';
import { previewSettings } from './services.ts';
import { createTierSlots } from './tier-slots.ts';
import { createWebhookRegistry } from './webhook-registry.ts';

export type PreviewHooks = Pick<PreviewDeps, 'onStep' | 'now'>;

export const previewActivationWorker = (rt: Runtime, hooks: PreviewHooks = {}) => {
  const { redis, config } = rt;
  const prefix = config.redis.prefix;
  const accountId = config.cxone.accountId;
  return createPreviewProcessor({
    client: rt.cxone.client,
    state: createActivationState({ redis, prefix }),
    slots: createTierSlots({ redis, prefix, accountId, now: hooks.now }),
    dncKey: createDncStore({ redis, prefix, accountId }).key,
    webhooks: createWebhookRegistry({ redis, prefix, accountId }),
    audit: createAuditLog({ redis, prefix }),
    metrics: previewMetrics(rt.metrics.registry),
    accountId,
    settings: previewSettings(config),
    ...hooks,
  });
};
