// A standalone set of ingress dependencies (one fail-fast Redis connection, the queue
// handles, an enqueuer), for tests, benchmarks and any entry that does not need the
// worker side of the runtime. close() closes the queues, then Redis.
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { createMetrics, type Metrics } from '../metrics.ts';
import { createEnqueuer } from '../queues/enqueue.ts';
import { createQueueSet } from '../queues/queue-set.ts';
import { createRedis } from '../redis.ts';
import type { IngressDeps } from './app.ts';

export function createIngressDeps(config: Config, logger: Logger, metrics: Metrics = createMetrics()): IngressDeps & { close(): Promise<void> } {
  const redis = createRedis(config.redis, 'client');
  redis.on('error', (err: Error) => logger.warn({ err }, 'redis connection error'));
  const queues = createQueueSet({ connection: redis, prefix: config.redis.prefix, logger });
  return {
    config,
    logger,
    metrics,
    redis,
    queues,
    enqueuer: createEnqueuer(queues),
    async close() {
      await queues.closeAll();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
