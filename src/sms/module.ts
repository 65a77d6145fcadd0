// The SMS domain: batches of SMS sent through CXone, their delivery receipts and the sweep
// that settles messages without one.
import { defineDomainModule } from '../platform/domain-module.ts';
import { SMS_QUEUES } from './queues.ts';
import { SMS_WEBHOOKS } from './webhooks.ts';

export const smsModule = defineDomainModule({
  name: 'sms',
  queues: SMS_QUEUES,
  processors: async () => (await import('./processors.ts')).SMS_PROCESSORS,
  webhooks: SMS_WEBHOOKS,
  routes: async () => {
    const [{ registerSmsRoutes }, { createSmsServices }] = await Promise.all([import('./api-routes.ts'), import('./services.ts')]);
    return (api, deps) => registerSmsRoutes(api, createSmsServices(deps), { defaultRegion: deps.config.sms.defaultRegion });
  },
  cli: {
    name: 'sms',
    description: 'send SMS batches, follow them, manage consent',
    load: async () => (await import('../../producers/sms.cli.ts')).smsCommand(),
  },
  simulator: async () => (await import('../simulator/sms.ts')).createSmsModule,
  replayGuards: async () => (await import('./replay-guard.ts')).SMS_REPLAY_GUARDS,
});
