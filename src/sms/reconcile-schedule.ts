// The sms-reconcile sweep's schedule: one BullMQ job scheduler under a fixed id, so any
// number of worker processes upserting it leave one schedule (the last interval wins).
import { parsePayload } from '../queues/enqueue.ts';
import type { QueueSet } from '../queues/queue-set.ts';
import { QUEUES } from '../queues/registry.ts';

export const RECONCILE_SCHEDULER_ID = 'sms-reconcile-sweep';

export async function ensureReconcileSchedule(queues: QueueSet, opts: { accountId: string; everyMs: number }): Promise<void> {
  const data = parsePayload('smsReconcile', { accountId: opts.accountId, kind: 'sweep' });
  await queues.get('smsReconcile').upsertJobScheduler(RECONCILE_SCHEDULER_ID, { every: opts.everyMs }, { name: QUEUES.smsReconcile.name, data });
}
