// sms-send: wiring only; the logic is src/sms/send-processor.ts.
import type { Runtime } from '../runtime.ts';
import { createConsentStore } from './consent-store.ts';
import { createHandOff } from './hand-off.ts';
import { createSmsSendProcessor } from './send-processor.ts';
import { createConfiguredMessageStore } from './services.ts';

export const smsSendWorker = (rt: Runtime) =>
  createSmsSendProcessor({
    client: rt.cxone.client,
    store: createConfiguredMessageStore(rt.config, rt.redis),
    consent: createConsentStore({ redis: rt.redis, prefix: rt.config.redis.prefix, accountId: rt.config.cxone.accountId }),
    handOff: createHandOff(rt.queues.get('smsSend')),
  });
