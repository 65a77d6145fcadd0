// The call-flows domain: flows as code, checked and walked locally. Publishing through the
// fleet (its queues, webhooks and routes) comes with issue 18; its names are reserved in
// src/queues/registry.ts.
import { defineDomainModule } from '../platform/domain-module.ts';

export const flowsModule = defineDomainModule({
  name: 'flows',
  queues: {},
  processors: async () => ({}),
  cli: {
    name: 'flow',
    description: 'call flows as code: validate, simulate, test with coverage',
    load: async () => (await import('../../producers/flow.cli.ts')).flowCommand(),
  },
  simulator: async () => {
    const [{ createFlowsModule }, { createFlowsAdminHandler }, { withAdmin }] = await Promise.all([
      import('../simulator/flows.ts'),
      import('../simulator/flows-admin.ts'),
      import('../simulator/sim-module.ts'),
    ]);
    return withAdmin(createFlowsModule, createFlowsAdminHandler);
  },
});
