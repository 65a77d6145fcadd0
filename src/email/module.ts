// The email domain: channels provisioned from specs, bounces and suppressions, sender health.
import { defineDomainModule } from '../platform/domain-module.ts';
import { withAdmin } from '../simulator/sim-module.ts';
import { EMAIL_QUEUES } from './queues.ts';
import { EMAIL_WEBHOOKS } from './webhooks.ts';

export const emailModule = defineDomainModule({
  name: 'email',
  queues: EMAIL_QUEUES,
  processors: async () => (await import('./processors.ts')).EMAIL_PROCESSORS,
  webhooks: EMAIL_WEBHOOKS,
  routes: async () => {
    const [{ registerEmailRoutes }, { createEmailServices }, { secretEnvironment }] = await Promise.all([
      import('./api-routes.ts'),
      import('./services.ts'),
      import('../config.ts'),
    ]);
    return (api, deps) => registerEmailRoutes(api, { services: createEmailServices(deps), secretsDir: deps.config.email.secretsDir, env: secretEnvironment() });
  },
  cli: {
    name: 'email',
    description: 'email channels: validate and provision specs, bounces and suppressions, sender health, audit export, template preview',
    load: async () => (await import('../../producers/email.cli.ts')).emailCommand(),
  },
  metrics: async () => (await import('./metrics.ts')).emailMetrics,
  simulator: async () => withAdmin((await import('../simulator/email.ts')).createEmailModule, (await import('../simulator/email-admin.ts')).createEmailAdminHandler),
});
