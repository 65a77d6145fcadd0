// email-health: wiring only; the logic is src/email/health.ts. Jobs come from one
// repeatable scheduler per active channel (created by the provision job).
import { createAuditLog } from '../src/audit.ts';
import { createHealthProcessor } from '../src/email/health.ts';
import { createEmailSettings } from '../src/email/settings.ts';
import type { Runtime } from '../src/runtime.ts';

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
