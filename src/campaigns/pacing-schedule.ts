// The pacing checks of a campaign: one BullMQ job scheduler per running campaign (BullMQ
// produces the next check when the current one starts, so a slow check never piles up and
// any number of workers run one check per interval). Started when a launch reaches RUNNING,
// removed when the campaign stops, and by a check that finds the campaign not running.
import type { CampaignMetrics } from './metrics.ts';
import type { PacingPolicy } from '../domain/campaigns/pacing.ts';
import type { QueueSet } from '../queues/queue-set.ts';
import type { DialerBreakers } from './dialer-breaker.ts';
import { campaignJobIds } from './keys.ts';
import type { PacingStore } from './pacing-store.ts';

export interface PacingScheduleDeps {
  queues: QueueSet;
  pacing: PacingStore;
  breakers: DialerBreakers;
  accountId: string;
  everyMs: number;
  metrics?: CampaignMetrics | undefined;
}

export function createPacingSchedule(deps: PacingScheduleDeps) {
  const queue = () => deps.queues.get('pacingCheck');
  return {
    async start(campaignId: string, s: { launchId?: string | undefined; policy: PacingPolicy; cpm: number }): Promise<void> {
      await deps.pacing.start(campaignId, s);
      await queue().upsertJobScheduler(campaignJobIds.pacingScheduler(campaignId), { every: deps.everyMs }, { name: 'pacing-check', data: { accountId: deps.accountId, campaignId } });
      deps.metrics?.campaignCpm.set({ campaign: campaignId }, s.cpm);
    },

    /** Ends the checks and the campaign's metric series; the records stay. */
    async end(campaignId: string): Promise<void> {
      await queue().removeJobScheduler(campaignJobIds.pacingScheduler(campaignId));
      await deps.pacing.stop(campaignId);
      const m = deps.metrics;
      if (m) {
        m.campaignCpm.remove({ campaign: campaignId });
        m.campaignAnswerRate.remove({ campaign: campaignId });
        for (const window of ['realtime', '24h', '30d']) m.campaignAbandonRate.remove({ campaign: campaignId, window });
        m.campaignBudgetRemaining.remove({ campaign: campaignId });
      }
      deps.breakers.clearMetrics(campaignId);
    },

    async exists(campaignId: string): Promise<boolean> {
      return (await queue().getJobScheduler(campaignJobIds.pacingScheduler(campaignId))) !== undefined;
    },
  };
}

export type PacingSchedule = ReturnType<typeof createPacingSchedule>;
