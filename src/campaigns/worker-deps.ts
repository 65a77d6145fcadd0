// The campaigns domain's pieces as a worker process builds them from its runtime: stores,
// dialer breakers, the pacing schedule and the launch settler, shared by its processors.
import { campaignMetrics } from './metrics.ts';
import { createAuditLog } from '../audit.ts';
import type { Runtime } from '../runtime.ts';
import { createDialerBreakers } from './dialer-breaker.ts';
import { createLaunchStore } from './launch-store.ts';
import { createPacingSchedule } from './pacing-schedule.ts';
import { createPacingStore } from './pacing-store.ts';
import { createLaunchSettler } from './settle.ts';

export function campaignWorkerDeps(rt: Runtime) {
  const { redis, config } = rt;
  const metrics = campaignMetrics(rt.metrics.registry);
  const prefix = config.redis.prefix;
  const c = config.campaigns;
  const accountId = config.cxone.accountId;
  const launches = createLaunchStore({ redis, prefix });
  const pacing = createPacingStore({ redis, prefix });
  const breakers = createDialerBreakers({ redis, prefix, settings: c.breaker, metrics });
  const audit = createAuditLog({ redis, prefix });
  const schedule = createPacingSchedule({ queues: rt.queues, pacing, breakers, accountId, everyMs: c.pacing.everyMs, metrics });
  const settle = createLaunchSettler({
    launches,
    breakers,
    audit,
    accountId,
    metrics,
    startPacing: (launch, campaignId) => schedule.start(campaignId, { launchId: launch.launchId, policy: launch.spec.policy ?? c.pacing.policy, cpm: launch.spec.pacing.callsPerMinute }),
  });
  return { client: rt.cxone.client, launches, pacing, breakers, audit, schedule, settle, accountId, metrics, config: c };
}

export type CampaignWorkerDeps = ReturnType<typeof campaignWorkerDeps>;
