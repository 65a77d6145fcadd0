// sms-status: wiring only; the logic is src/sms/status-processor.ts.
import { createAuditLog } from '../src/audit.ts';
import type { Runtime } from '../src/runtime.ts';
import { createConfiguredMessageStore } from '../src/sms/services.ts';
import { createSmsStatusProcessor } from '../src/sms/status-processor.ts';

export const smsStatusWorker = (rt: Runtime) =>
  createSmsStatusProcessor({
    store: createConfiguredMessageStore(rt.config, rt.redis),
    audit: createAuditLog({ redis: rt.redis, prefix: rt.config.redis.prefix }),
  });
