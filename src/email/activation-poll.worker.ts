// activation-poll: wiring only. The queue is shared by every asynchronous CXone state
// machine; each kind has its own poll logic, dispatched here by `kind`.
import { createAuditLog } from '../audit.ts';
import { createEmailActivationPoll } from './activation-poll.ts';
import { createProvisionState } from './provision-state.ts';
import { ErrorCode, PermanentError } from '../errors.ts';
import type { Processor } from '../queues/define-worker.ts';
import type { Runtime } from '../runtime.ts';

export const activationPollWorker = (rt: Runtime): Processor<'activationPoll'> => {
  const { redis, config } = rt;
  const prefix = config.redis.prefix;
  const email = createEmailActivationPoll({
    client: rt.cxone.client,
    state: createProvisionState({ redis, prefix }),
    enqueuer: rt.enqueuer,
    audit: createAuditLog({ redis, prefix }),
    accountId: config.cxone.accountId,
  });
  return async (data, ctx) => {
    switch (data.kind) {
      case 'email-channel':
        return email(data, ctx);
      default:
        throw new PermanentError(`no activation poll handler for kind ${data.kind} in this fleet version`, { code: ErrorCode.Validation });
    }
  };
};
