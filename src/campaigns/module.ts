// The campaigns domain: launch as one step job, pacing checks per running campaign that keep
// abandonment within the regulators' limits, the dialer breaker, the control API.
import { defineDomainModule } from '../platform/domain-module.ts';
import { withAdmin } from '../simulator/sim-module.ts';
import { CAMPAIGN_QUEUES } from './queues.ts';
import { CAMPAIGN_WEBHOOKS } from './webhooks.ts';

export const campaignsModule = defineDomainModule({
  name: 'campaigns',
  queues: CAMPAIGN_QUEUES,
  processors: async () => (await import('./processors.ts')).CAMPAIGN_PROCESSORS,
  webhooks: CAMPAIGN_WEBHOOKS,
  routes: async () => {
    const [{ registerCampaignRoutes }, { createCampaignServices }] = await Promise.all([import('./api-routes.ts'), import('./services.ts')]);
    return (api, deps) => registerCampaignRoutes(api, { services: createCampaignServices(deps), defaultPolicy: deps.config.campaigns.pacing.policy });
  },
  cli: {
    name: 'campaign',
    description: 'outbound campaigns: launch and watch the start, pacing, dialer breaker, summary, compliance, stop; preview activation; the do-not-call list',
    load: async () => (await import('../../producers/campaign.cli.ts')).campaignCommand(),
  },
  metrics: async () => (await import('./metrics.ts')).campaignMetrics,
  simulator: async () => withAdmin((await import('../simulator/campaigns.ts')).createCampaignsModule, (await import('../simulator/campaigns-admin.ts')).createCampaignsAdminHandler),
});
