// sms-send: wiring only; the logic is src/sms/send-processor.ts.
import { createAuditLog } from '../src/audit.ts';
import type { Runtime } from '../src/runtime.ts';
import { createConsentStore } from '../src/sms/consent-store.ts';
import { createSmsSendProcessor } from '../src/sms/send-processor.ts';
import { createConfiguredMessageStore } from '../src/sms/services.ts';

export const smsSendWorker = (rt: Runtime) =>
  createSmsSendProcessor({
    client: rt.cxone.client,
    store: createConfiguredMessageStore(rt.config, rt.redis),
    consent: createConsentStore({ redis: rt.redis, prefix: rt.config.redis.prefix, accountId: rt.config.cxone.accountId }),
    audit: createAuditLog({ redis: rt.redis, prefix: rt.config.redis.prefix }),
  });
