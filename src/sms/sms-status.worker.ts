// sms-status: wiring only; the logic is src/sms/status-processor.ts.
import { createAuditLog } from '../audit.ts';
import type { Runtime } from '../runtime.ts';
import { createConfiguredMessageStore } from './services.ts';
import { createSmsStatusProcessor } from './status-processor.ts';

export const smsStatusWorker = (rt: Runtime) =>
  createSmsStatusProcessor({
    store: createConfiguredMessageStore(rt.config, rt.redis),
    audit: createAuditLog({ redis: rt.redis, prefix: rt.config.redis.prefix }),
  });
