// email-health: wiring only; the logic is src/email/health.ts. Jobs come from one
// repeatable scheduler per active channel (created by the provision job).
import { createAuditLog } from '../audit.ts';
import { createHealthProcessor } from './health.ts';
import { createEmailSettings } from './settings.ts';
import type { Runtime } from '../runtime.ts';

export const emailHealthWorker = (rt: Runtime) => {
  const { redis, config } = rt;
  const prefix = config.redis.prefix;
  return createHealthProcessor({
    client: rt.cxone.client,
    redis,
    prefix,
    settings: createEmailSettings({ redis, prefix }),
    audit: createAuditLog({ redis, prefix }),
    accountId: config.cxone.accountId,
    registry: rt.metrics.registry,
  });
};
