// Registering the flow.* subscription from a process that has no CXone account of its own
// (the CLI, the ingress): an account for this one call, sharing the fleet's token cache,
// limiter and breaker through Redis, closed afterwards.
import { secretEnvironment, type Config } from '../config.ts';
import { createCxoneAccount } from '../cxone/account.ts';
import type { Logger } from '../logger.ts';
import type { RedisConnection } from '../redis.ts';
import { createSubscriptionStore, registerSubscription, type SubscribeRequest, type SubscriptionRecord } from './subscriptions.ts';

export async function subscribeOnce(deps: { config: Config; redis: RedisConnection; logger: Logger }, req: SubscribeRequest): Promise<SubscriptionRecord> {
  const prefix = deps.config.redis.prefix;
  const account = createCxoneAccount(deps.config.cxone, { redis: deps.redis, prefix, logger: deps.logger });
  try {
    return await registerSubscription(
      { client: account.client, store: createSubscriptionStore({ redis: deps.redis, prefix }), env: secretEnvironment(), prefixes: deps.config.secretEnvPrefixes },
      req,
    );
  } finally {
    await account.close();
  }
}
