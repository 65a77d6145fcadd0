// The email domain's worker table (src/email/module.ts loads it where workers run).
import type { ProcessorsFor } from '../platform/domain-module.ts';
import { emailBounceWorker } from './email-bounce.worker.ts';
import { emailHealthWorker } from './email-health.worker.ts';
import { emailProvisionWorker, type EmailProvisionHooks } from './email-provision.worker.ts';
import type { EMAIL_QUEUES } from './queues.ts';

export type EmailProcessors = ProcessorsFor<keyof typeof EMAIL_QUEUES>;

export const EMAIL_PROCESSORS: EmailProcessors = {
  emailProvision: (rt) => emailProvisionWorker(rt),
  emailBounce: emailBounceWorker,
  emailHealth: emailHealthWorker,
};

/** The same table with test hooks (e.g. a crash between provisioning steps). */
export function emailProcessorsWith(hooks: EmailProvisionHooks): EmailProcessors {
  return { ...EMAIL_PROCESSORS, emailProvision: (rt) => emailProvisionWorker(rt, hooks) };
}
