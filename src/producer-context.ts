// What a producer (CLI, HTTP API, library) needs: a fail-fast Redis connection and the
// queue handles. No CXone account: producers never call CXone.
import type { Config } from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import { createEnqueuer, type Enqueuer } from './queues/enqueue.ts';
import { createQueueSet, type QueueSet } from './queues/queue-set.ts';
import { createRedis, waitForReady, type ConnectionKind, type RedisConnection } from './redis.ts';

export interface ProducerContext {
  config: Config;
  logger: Logger;
  redis: RedisConnection;
  queues: QueueSet;
  enqueuer: Enqueuer;
  close(): Promise<void>;
}

/**
 * `client` connections fail fast (no offline queue: call waitForReady before use), so an
 * HTTP caller gets a 503 instead of a hang; worker processes pass `worker` to wait out an
 * outage instead.
 */
export function createProducerContext(
  config: Config,
  opts: { role: string; logger?: Logger; connectionKind?: ConnectionKind },
): ProducerContext {
  const logger = opts.logger ?? createLogger({ level: config.logLevel, name: `cxone-fleet:${opts.role}` });
  const redis = createRedis(config.redis, opts.connectionKind ?? 'client');
  redis.on('error', (err: Error) => logger.debug({ err }, 'redis connection error'));
  const queues = createQueueSet({ connection: redis, prefix: config.redis.prefix, logger });
  return {
    config,
    logger,
    redis,
    queues,
    enqueuer: createEnqueuer(queues),
    async close() {
      await queues.closeAll();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** For CLIs: one clear line instead of a stack when Redis does not answer. */
export async function connectOrExplain(ctx: ProducerContext): Promise<void> {
  try {
    await waitForReady(ctx.redis, 3_000);
  } catch {
    await ctx.close();
    throw new Error(`Redis does not answer at ${ctx.config.redis.url.replace(/\/\/[^@]*@/, '//')}: start one or set REDIS_URL`);
  }
}

/** For CLI commands: a connected producer context for the length of `fn`, closed after it. */
export async function withCliProducer<T>(config: Config, fn: (ctx: ProducerContext) => Promise<T>): Promise<T> {
  const ctx = createProducerContext(config, { role: 'cli' });
  await connectOrExplain(ctx);
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}
