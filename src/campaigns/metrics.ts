// The campaigns domain's Prometheus series, get-or-create on the process's registry; the
// module list registers them at start so /metrics shows them at once. Per-campaign series
// are removed when the campaign ends (pacing-schedule.ts).
import type { Registry } from 'prom-client';
import { counterOnce, gaugeOnce, histogramOnce } from '../platform/metric-once.ts';

export function campaignMetrics(registry: Registry) {
  /** A gauge with one series per running campaign. */
  const perCampaign = (name: string, help: string) => gaugeOnce(registry, { name, help, labelNames: ['campaign'] as const });
  return {
    campaignLaunches: counterOnce(registry, { name: 'cxone_fleet_campaign_launches_total', help: 'Campaign launches by result (running, stopped, error, invalid, timeout, failed)', labelNames: ['result'] as const }),
    campaignStartSeconds: histogramOnce(registry, { name: 'cxone_fleet_campaign_start_seconds', help: 'From the start request to RUNNING', buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300, 600] }),
    campaignStatusPolls: counterOnce(registry, { name: 'cxone_fleet_campaign_status_polls_total', help: 'Campaign status polls while starting, by the status seen', labelNames: ['status'] as const }),
    campaignCpm: perCampaign('cxone_fleet_campaign_cpm', 'Calls per minute in force per running campaign'),
    campaignAnswerRate: perCampaign('cxone_fleet_campaign_answer_rate', 'Realtime answer rate per running campaign'),
    campaignAbandonRate: gaugeOnce(registry, {
      name: 'cxone_fleet_campaign_abandon_rate',
      help: 'Abandoned / live answers per running campaign, by window (realtime, 24h, 30d)',
      labelNames: ['campaign', 'window'] as const,
    }),
    campaignBudgetRemaining: perCampaign('cxone_fleet_campaign_abandon_budget_remaining', 'Abandons left before the tighter window reaches the limit, per running campaign'),
    pacingDecisions: counterOnce(registry, { name: 'cxone_fleet_pacing_decisions_total', help: 'Pacing decisions by kind (raise, hold, lower, floor, stop)', labelNames: ['decision'] as const }),
    campaignBreakerOpen: perCampaign('cxone_fleet_dialer_breaker_open', '1 while the dialer breaker of a campaign is open'),
  };
}

export type CampaignMetrics = ReturnType<typeof campaignMetrics>;
