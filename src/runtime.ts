// What every worker process shares: configuration, logger, metrics, the two kinds of
// Redis connection, the queue handles and the CXone account. Entry points create one and
// close it on shutdown; nothing here is a module-level singleton.
import type { Config } from './config.ts';
import { createCxoneAccount, type CxoneAccount } from './cxone/account.ts';
import { EXIT } from './errors.ts';
import type { Logger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { createProducerContext, type ProducerContext } from './producer-context.ts';
import { createRedis, type RedisConnection } from './redis.ts';

export interface Runtime extends ProducerContext {
  /** The process's own commands (stores, limiter, breaker, tokens, audit): auto-pipelined. */
  redis: RedisConnection;
  metrics: Metrics;
  /** Connection that waits out outages, for BullMQ workers (blocking commands). */
  workerRedis: RedisConnection;
  cxone: CxoneAccount;
}

export function createRuntime(config: Config, opts: { role: string; logger?: Logger; metrics?: Metrics }): Runtime {
  const base = createProducerContext(config, { ...opts, connectionKind: 'worker' });
  const { logger } = base;
  const metrics = opts.metrics ?? createMetrics({ defaultMetrics: true, labels: { role: opts.role } });
  const workerRedis = createRedis(config.redis, 'worker');
  workerRedis.on('error', (err: Error) => logger.warn({ err, connection: 'worker' }, 'redis connection error'));
  // The queue handles keep base.redis (plain); everything the process itself asks Redis
  // goes through this one, where concurrent jobs' commands share socket writes.
  const redis = createRedis(config.redis, 'commands');
  redis.on('error', (err: Error) => logger.warn({ err, connection: 'commands' }, 'redis connection error'));
  const cxone = createCxoneAccount(config.cxone, { redis, prefix: config.redis.prefix, logger, metrics });
  return {
    ...base,
    redis,
    metrics,
    workerRedis,
    cxone,
    async close() {
      await base.close();
      await cxone.close();
      await redis.quit().catch(() => redis.disconnect());
      await workerRedis.quit().catch(() => workerRedis.disconnect());
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
      process.exit(EXIT.interrupted);
    }
    closing = true;
    logger.info({ signal, timeoutMs }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown timed out: exiting');
      process.exit(EXIT.failure);
    }, timeoutMs);
    timer.unref();
    close().then(
      () => {
        clearTimeout(timer);
        logger.info('shutdown complete');
        process.exit(EXIT.ok);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(EXIT.failure);
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
