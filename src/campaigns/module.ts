// The campaigns domain: launch as one step job, pacing checks per running campaign that keep
// abandonment within the regulators' limits, the dialer breaker, the control API.
import { defineDomainModule } from '../platform/domain-module.ts';
import { CAMPAIGN_QUEUES } from './queues.ts';
import { CAMPAIGN_WEBHOOKS } from './webhooks.ts';

export const campaignsModule = defineDomainModule({
  name: 'campaigns',
  queues: CAMPAIGN_QUEUES,
  processors: async () => (await import('./processors.ts')).CAMPAIGN_PROCESSORS,
  webhooks: CAMPAIGN_WEBHOOKS,
  simulator: async () => (await import('../simulator/campaigns.ts')).createCampaignsModule,
});
