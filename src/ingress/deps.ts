// A standalone set of ingress dependencies: the producers' fail-fast Redis connection, the
// queue handles and an enqueuer, plus metrics. close() closes the queues, then Redis.
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { createMetrics, type Metrics } from '../metrics.ts';
import { createProducerContext } from '../producer-context.ts';
import type { IngressDeps } from './app.ts';

export function createIngressDeps(config: Config, logger: Logger, metrics: Metrics = createMetrics()): IngressDeps & { close(): Promise<void> } {
  const ctx = createProducerContext(config, { role: 'ingress', logger });
  return { config, logger, metrics, redis: ctx.redis, queues: ctx.queues, enqueuer: ctx.enqueuer, close: () => ctx.close() };
}
