// email-provision: wiring only; the logic is src/email/provision-processor.ts. Secrets are
// resolved from this process's environment and files at run time (the job holds only
// references), so every worker process of this queue needs the same env / secret files.
import { createAuditLog } from '../audit.ts';
import { createProvisionProcessor, type ProvisionDeps } from './provision-processor.ts';
import { createProvisionState } from './provision-state.ts';
import { createHealthScheduler } from './services.ts';
import { createSecretResolver, createSpecStore } from './spec-store.ts';
import { secretEnvironment } from '../config.ts';
import type { Runtime } from '../runtime.ts';

export type EmailProvisionHooks = Pick<ProvisionDeps, 'onStep'>;

export const emailProvisionWorker = (rt: Runtime, hooks: EmailProvisionHooks = {}) => {
  const { redis, config } = rt;
  const prefix = config.redis.prefix;
  return createProvisionProcessor({
    client: rt.cxone.client,
    specs: createSpecStore({ redis, prefix }),
    state: createProvisionState({ redis, prefix }),
    secrets: createSecretResolver({ env: secretEnvironment() }),
    audit: createAuditLog({ redis, prefix }),
    accountId: config.cxone.accountId,
    scheduleHealth: createHealthScheduler({ queues: rt.queues, accountId: config.cxone.accountId }),
    ...hooks,
  });
};
