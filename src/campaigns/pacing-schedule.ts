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
  const exists = async (campaignId: string) => (await queue().getJobScheduler(campaignJobIds.pacingScheduler(campaignId))) !== undefined;
  return {
    /**
     * Starts a launch's pacing checks. Safe to repeat: a re-run after a crash between the two
     * writes puts the scheduler in place; pacing of this launch that was stopped stays stopped.
     */
    async start(campaignId: string, s: { launchId: string; policy: PacingPolicy; cpm: number }): Promise<void> {
      const status = await deps.pacing.start(campaignId, s);
      // Upserting a scheduler that is there would move its next check: leave it.
      if (status === 'stopped' || (status === 'active' && (await exists(campaignId)))) return;
      await queue().upsertJobScheduler(campaignJobIds.pacingScheduler(campaignId), { every: deps.everyMs }, { name: 'pacing-check', data: { accountId: deps.accountId, campaignId } });
      if (status === 'started') deps.metrics?.campaignCpm.set({ campaign: campaignId }, s.cpm);
    },

    /** Ends the checks and the campaign's metric series; the records stay. */
    async end(campaignId: string): Promise<void> {
      // Stopped first: a start repeated meanwhile (a late status event) then finds it stopped
      // and does not put the scheduler back.
      await deps.pacing.stop(campaignId);
      await queue().removeJobScheduler(campaignJobIds.pacingScheduler(campaignId));
      const m = deps.metrics;
      if (m) {
        m.campaignCpm.remove({ campaign: campaignId });
        m.campaignAnswerRate.remove({ campaign: campaignId });
        for (const window of ['realtime', '24h', '30d']) m.campaignAbandonRate.remove({ campaign: campaignId, window });
        m.campaignBudgetRemaining.remove({ campaign: campaignId });
      }
      deps.breakers.clearMetrics(campaignId);
    },

    exists,
  };
}

export type PacingSchedule = ReturnType<typeof createPacingSchedule>;
