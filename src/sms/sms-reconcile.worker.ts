// sms-reconcile: wiring only; the logic is src/sms/reconcile.ts. Every process running this
// worker upserts the same scheduler (one id), so the fleet sweeps once per interval.
import { createAuditLog } from '../audit.ts';
import { hasEndpoint, resolveEndpoints } from '../cxone/endpoints.ts';
import type { Runtime } from '../runtime.ts';
import { createSmsReconcileProcessor } from './reconcile.ts';
import { ensureReconcileSchedule } from './reconcile-schedule.ts';
import { createConfiguredMessageStore } from './services.ts';

export const smsReconcileWorker = (rt: Runtime) => {
  const { config } = rt;
  const endpoints = resolveEndpoints(config.cxone.endpointOverrides);
  void ensureReconcileSchedule(rt.queues, { accountId: config.cxone.accountId, everyMs: config.sms.reconcile.everyMs }).catch((err: unknown) =>
    rt.logger.error({ err }, 'could not schedule the sms-reconcile sweep'),
  );
  return createSmsReconcileProcessor({
    client: rt.cxone.client,
    store: createConfiguredMessageStore(config, rt.redis),
    audit: createAuditLog({ redis: rt.redis, prefix: config.redis.prefix }),
    accountId: config.cxone.accountId,
    can: { status: hasEndpoint(endpoints, 'smsStatus'), lookup: hasEndpoint(endpoints, 'smsLookup') },
    recheckMs: config.sms.reconcile.afterMs,
    receiptDeadlineMs: config.sms.reconcile.receiptDeadlineMs,
    batch: config.sms.reconcile.batch,
  });
};
