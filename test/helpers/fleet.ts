// A whole fleet for one test: the simulator over HTTP, a config pointing at it with a
// private Redis prefix, and runtimes/workers built the way production builds them.
import { loadConfig, type Config } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createRuntime, type Runtime } from '../../src/runtime.ts';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../src/simulator/server.ts';
import { startWorkerPool, type ProcessorTable, type WorkerPool } from '../../src/worker-pool.ts';
import type { QueueKey } from '../../src/queues/registry.ts';
import { createTestRedis, deleteKeysWithPrefix, privateRedisEnv, REDIS_ENV, testPrefix } from './redis.ts';

export interface TestFleet {
  sim: RunningSimulator;
  prefix: string;
  env: Record<string, string>;
  config: Config;
  runtime(): Runtime;
  workers(table: ProcessorTable, keys: QueueKey[], concurrency?: number): WorkerPool;
  cleanup(): Promise<void>;
}

export async function startTestFleet(opts: { sim?: SimulatorOptions; env?: Record<string, string>; label?: string } = {}): Promise<TestFleet> {
  const sim = await startSimulator(opts.sim ?? {});
  const prefix = testPrefix(opts.label ?? 'fleet');
  const env: Record<string, string> = {
    // A test that brings its own redis-server (REDIS_URL in opts.env) never reaches the cluster.
    ...(opts.env?.REDIS_URL ? privateRedisEnv(opts.env.REDIS_URL) : REDIS_ENV),
    FLEET_PREFIX: prefix,
    CXONE_BASE_URL: sim.url,
    LOG_LEVEL: 'silent',
    CXONE_RATE_LIMIT_RPS: '1000',
    ...opts.env,
  };
  const config = loadConfig(env);
  const runtimes: Runtime[] = [];
  const pools: WorkerPool[] = [];
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  return {
    sim,
    prefix,
    env,
    config,
    runtime() {
      const rt = createRuntime(config, { role: 'worker', logger, metrics: createMetrics() });
      runtimes.push(rt);
      return rt;
    },
    workers(table, keys, concurrency) {
      const rt = createRuntime(config, { role: 'worker', logger, metrics: createMetrics() });
      const pool = startWorkerPool(rt, table, keys, concurrency);
      pools.push(pool);
      return pool;
    },
    async cleanup() {
      await Promise.allSettled(pools.map((p) => p.close()));
      await Promise.allSettled(runtimes.map((r) => r.close()));
      await sim.close();
      const redis = createTestRedis();
      await deleteKeysWithPrefix(redis, prefix);
      await redis.quit();
    },
  };
}
