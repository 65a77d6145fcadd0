// What every process of the fleet shares: configuration, logger, metrics, the two kinds of
// Redis connection, the queue handles and the CXone account. Entry points create one and
// close it on shutdown; nothing here is a module-level singleton.
import type { Config } from './config.ts';
import { createCxoneAccount, type CxoneAccount } from './cxone/account.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { createEnqueuer, type Enqueuer } from './queues/enqueue.ts';
import { createQueueSet, type QueueSet } from './queues/queue-set.ts';
import { createRedis, type RedisConnection } from './redis.ts';

export interface Runtime {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** Fail-fast connection for the fleet's own keys and producers. */
  redis: RedisConnection;
  /** Connection that waits out outages, for BullMQ workers and queues of worker processes. */
  workerRedis: RedisConnection;
  queues: QueueSet;
  enqueuer: Enqueuer;
  cxone: CxoneAccount;
  close(): Promise<void>;
}

export function createRuntime(config: Config, opts: { role: string; logger?: Logger; metrics?: Metrics }): Runtime {
  const logger = opts.logger ?? createLogger({ level: config.logLevel, name: `cxone-fleet:${opts.role}` });
  const metrics = opts.metrics ?? createMetrics({ defaultMetrics: true, labels: { role: opts.role } });
  const redis = createRedis(config.redis, 'client');
  const workerRedis = createRedis(config.redis, 'worker');
  for (const [name, conn] of [['client', redis], ['worker', workerRedis]] as const) {
    conn.on('error', (err: Error) => logger.warn({ err, connection: name }, 'redis connection error'));
  }
  // Producers and the ingress enqueue through the fail-fast connection so a Redis outage
  // becomes a quick 503 instead of a hung request.
  const queues = createQueueSet({ connection: opts.role === 'worker' ? workerRedis : redis, prefix: config.redis.prefix, logger });
  const enqueuer = createEnqueuer(queues);
  const cxone = createCxoneAccount(config.cxone, { redis, prefix: config.redis.prefix, logger, metrics });
  return {
    config,
    logger,
    metrics,
    redis,
    workerRedis,
    queues,
    enqueuer,
    cxone,
    async close() {
      await queues.closeAll();
      await cxone.close();
      await Promise.allSettled([redis.quit(), workerRedis.quit()]);
    },
  };
}

/**
 * SIGTERM/SIGINT run `close` once under a timeout; a second signal exits at once.
 * Returns a function that removes the handlers (for tests).
 */
export function installShutdown(close: () => Promise<void>, logger: Logger, timeoutMs: number): () => void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    closing = true;
    logger.info({ signal, timeoutMs }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown timed out: exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    close().then(
      () => {
        clearTimeout(timer);
        logger.info('shutdown complete');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
}
