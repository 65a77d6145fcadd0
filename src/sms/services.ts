// The SMS pieces a producer needs, built from a runtime's connections.
import { createAuditLog } from '../audit.ts';
import type { Config } from '../config.ts';
import type { Enqueuer } from '../queues/enqueue.ts';
import type { RedisConnection } from '../redis.ts';
import { createConsentStore } from './consent-store.ts';
import { createSmsIntake } from './intake.ts';
import { createMessageStore } from './message-store.ts';
import { createRepeatGuard } from './repeat-guard.ts';

/** The message store as configured (retention, reconciliation delay). */
export function createConfiguredMessageStore(config: Config, redis: RedisConnection) {
  return createMessageStore({
    redis,
    prefix: config.redis.prefix,
    retentionS: config.sms.retentionS,
    reconcileAfterMs: config.sms.reconcile.afterMs,
    maxStoredRejections: config.sms.intake.maxStoredRejections,
  });
}

export function createSmsServices(deps: { config: Config; redis: RedisConnection; enqueuer: Enqueuer }) {
  const { config, redis } = deps;
  const prefix = config.redis.prefix;
  const store = createConfiguredMessageStore(config, redis);
  const consent = createConsentStore({ redis, prefix, accountId: config.cxone.accountId });
  const audit = createAuditLog({ redis, prefix });
  const webhookUrl = config.ingress.publicUrl ? `${config.ingress.publicUrl.replace(/\/+$/, '')}/webhooks/sms/status` : undefined;
  const intake = createSmsIntake({
    enqueuer: deps.enqueuer,
    store,
    consent,
    accountId: config.cxone.accountId,
    defaultRegion: config.sms.defaultRegion,
    maxSegments: config.sms.maxSegments,
    validityMs: config.sms.validityMs,
    webhookUrl,
    repeatGuard: createRepeatGuard({ redis, prefix, accountId: config.cxone.accountId, windowS: config.sms.intake.duplicateWindowS }),
    stallBudgetMs: config.sms.intake.redisWaitMs,
    messagesPerJob: config.sms.intake.messagesPerJob,
  });
  return { store, consent, audit, intake };
}

export type SmsServices = ReturnType<typeof createSmsServices>;
