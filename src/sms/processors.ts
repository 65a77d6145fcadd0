// The SMS domain's worker table (src/sms/module.ts loads it where workers run).
import type { ProcessorsFor } from '../platform/domain-module.ts';
import type { SMS_QUEUES } from './queues.ts';
import { smsReconcileWorker } from './sms-reconcile.worker.ts';
import { smsSendWorker } from './sms-send.worker.ts';
import { smsStatusWorker } from './sms-status.worker.ts';

export const SMS_PROCESSORS: ProcessorsFor<keyof typeof SMS_QUEUES> = {
  smsSend: smsSendWorker,
  smsStatus: smsStatusWorker,
  smsReconcile: smsReconcileWorker,
};
