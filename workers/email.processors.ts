// The email fragment of the worker table: spread into PROCESSORS in workers/main.ts.
import type { ProcessorTable } from '../src/worker-pool.ts';
import { emailBounceWorker } from './email-bounce.worker.ts';
import { emailHealthWorker } from './email-health.worker.ts';
import { emailProvisionWorker, type EmailProvisionHooks } from './email-provision.worker.ts';

export const EMAIL_PROCESSORS: ProcessorTable = {
  emailProvision: (rt) => emailProvisionWorker(rt),
  emailBounce: emailBounceWorker,
  emailHealth: emailHealthWorker,
};

/** The same table with test hooks (e.g. a crash between provisioning steps). */
export function emailProcessorsWith(hooks: EmailProvisionHooks): ProcessorTable {
  return { ...EMAIL_PROCESSORS, emailProvision: (rt) => emailProvisionWorker(rt, hooks) };
}
