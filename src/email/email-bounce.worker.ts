// email-bounce: wiring only; the logic is src/email/bounce-processor.ts.
import { createAuditLog } from '../audit.ts';
import { createBounceProcessor } from './bounce-processor.ts';
import { createEmailSettings } from './settings.ts';
import { createSuppressionStore } from './suppression-store.ts';
import type { Runtime } from '../runtime.ts';

export const emailBounceWorker = (rt: Runtime) => {
  const { redis, config } = rt;
  const prefix = config.redis.prefix;
  return createBounceProcessor({
    redis,
    prefix,
    settings: createEmailSettings({ redis, prefix }),
    suppressions: createSuppressionStore({ redis, prefix }),
    audit: createAuditLog({ redis, prefix }),
    accountId: config.cxone.accountId,
  });
};
