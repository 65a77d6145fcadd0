// sms-status: wiring only; the logic is src/sms/status-processor.ts.
import { createAuditLog } from '../src/audit.ts';
import type { Runtime } from '../src/runtime.ts';
import { createMessageStore } from '../src/sms/message-store.ts';
import { createSmsStatusProcessor } from '../src/sms/status-processor.ts';

export const smsStatusWorker = (rt: Runtime) =>
  createSmsStatusProcessor({
    store: createMessageStore({ redis: rt.redis, prefix: rt.config.redis.prefix, retentionS: rt.config.sms.retentionS }),
    audit: createAuditLog({ redis: rt.redis, prefix: rt.config.redis.prefix }),
  });
