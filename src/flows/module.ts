// The call-flows domain: flows as code, checked and walked locally. Publishing through the
// fleet (its queues, webhooks and routes) comes with issue 18; its names are reserved in
// src/queues/registry.ts.
import { defineDomainModule } from '../platform/domain-module.ts';
import { withAdmin } from '../simulator/sim-module.ts';

export const flowsModule = defineDomainModule({
  name: 'flows',
  queues: {},
  processors: () => Promise.resolve({}),
  cli: {
    name: 'flow',
    description: 'call flows as code: validate, simulate, test with coverage',
    load: async () => (await import('../../producers/flow.cli.ts')).flowCommand(),
  },
  simulator: async () => withAdmin((await import('../simulator/flows.ts')).createFlowsModule, (await import('../simulator/flows-admin.ts')).createFlowsAdminHandler),
});
