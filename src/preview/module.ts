// The preview-campaigns domain: activation of outbound preview campaigns as one step job
// (tier semaphore, scrubbed contacts, If-Match PUT, webhook, audit) and the fleet's DNC list.
// Its CLI is the `campaign preview` / `campaign dnc` group (producers/preview.cli.ts), which
// the campaigns domain's `campaign` command carries: one top-level word for outbound work.
import { defineDomainModule } from '../platform/domain-module.ts';
import { withAdmin } from '../simulator/sim-module.ts';
import { PREVIEW_QUEUES } from './queues.ts';

export const previewModule = defineDomainModule({
  name: 'preview',
  queues: PREVIEW_QUEUES,
  processors: async () => (await import('./processors.ts')).PREVIEW_PROCESSORS,
  routes: async () => {
    const [{ registerPreviewRoutes }, { createPreviewServices }] = await Promise.all([import('./api-routes.ts'), import('./services.ts')]);
    return (api, deps) => registerPreviewRoutes(api, createPreviewServices(deps));
  },
  metrics: async () => (await import('./metrics.ts')).previewMetrics,
  simulator: async () => withAdmin((await import('../simulator/outbound.ts')).createOutboundModule, (await import('../simulator/outbound-admin.ts')).createOutboundAdminHandler),
});
