// The email domain's queues. Wire names never change once released (jobs in flight would be
// orphaned).
import { backoff, defineQueue, keep } from '../queues/queue-definition.ts';
import { emailBouncePayload, emailHealthPayload, emailProvisionPayload } from '../queues/payloads.ts';

export const EMAIL_QUEUES = {
  emailBounce: defineQueue({
    name: 'email-bounce',
    description: 'CXone email bounce webhook events',
    schema: emailBouncePayload,
    jobOptions: { attempts: 10, backoff: backoff(1_000), ...keep(24 * 3600, 7 * 24 * 3600) },
    callsCxone: false,
    concurrency: 16,
  }),
  emailProvision: defineQueue({
    name: 'email-provision',
    description: 'Email channel provisioning, one step job per request (create, await activation, routing rules, health schedule)',
    schema: emailProvisionPayload,
    jobOptions: { attempts: 6, backoff: backoff(2_000), ...keep(30 * 24 * 3600, 30 * 24 * 3600) },
    callsCxone: true,
    concurrency: 4,
  }),
  emailHealth: defineQueue({
    name: 'email-health',
    description: 'Scheduled sender-health checks per active email channel (bounce and complaint rates)',
    schema: emailHealthPayload,
    jobOptions: { attempts: 3, backoff: backoff(5_000), ...keep(3600, 7 * 24 * 3600) },
    callsCxone: true,
    concurrency: 4,
  }),
} as const;
