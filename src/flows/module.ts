// The call-flows domain: flows as code checked and walked locally, published to CXone as one
// step job, CXone's flow.* events recorded with drift reported.
import { defineDomainModule } from '../platform/domain-module.ts';
import { withAdmin } from '../simulator/sim-module.ts';
import { FLOW_QUEUES } from './queues.ts';
import { FLOW_WEBHOOKS } from './webhooks.ts';

export const flowsModule = defineDomainModule({
  name: 'flows',
  queues: FLOW_QUEUES,
  processors: async () => (await import('./processors.ts')).FLOW_PROCESSORS,
  webhooks: FLOW_WEBHOOKS,
  routes: async () => {
    const [{ registerFlowRoutes }, { flowServicesFor }, { subscribeOnce }] = await Promise.all([import('./api-routes.ts'), import('./producer.ts'), import('./subscribe-once.ts')]);
    return (api, deps) => registerFlowRoutes(api, { services: flowServicesFor(deps, deps.metrics), subscribe: (req) => subscribeOnce(deps, req) });
  },
  cli: {
    name: 'flow',
    description: 'call flows as code: validate, simulate, test, publish; revisions, diff, rollback; the flow.* event subscription',
    load: async () => (await import('../../producers/flow.cli.ts')).flowCommand(),
  },
  metrics: async () => (await import('./flow-metrics.ts')).createFlowMetrics,
  simulator: async () => withAdmin((await import('../simulator/flows.ts')).createFlowsModule, (await import('../simulator/flows-admin.ts')).createFlowsAdminHandler),
});
