// email-bounce: wiring only; the logic is src/email/bounce-processor.ts.
import { createAuditLog } from '../src/audit.ts';
import { createBounceProcessor } from '../src/email/bounce-processor.ts';
import { createEmailSettings } from '../src/email/settings.ts';
import { createSuppressionStore } from '../src/email/suppression-store.ts';
import type { Runtime } from '../src/runtime.ts';

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
