// Runs the workers of the named queues in this process and closes them in order:
// workers first (finish or hand back active jobs), then queues, then Redis.
import type { Worker } from 'bullmq';
import type { Config } from './config.ts';
import type { Metrics } from './metrics.ts';
import { defineWorker, type Processor } from './queues/define-worker.ts';
import { QUEUES, type QueueKey } from './queues/registry.ts';
import { createRuntime, type Runtime } from './runtime.ts';

export type ProcessorFactory<K extends QueueKey = QueueKey> = (rt: Runtime) => Processor<K>;
/** A processor for every queue of the registry (src/platform/modules.ts builds it). */
export type WorkerTable = { readonly [K in QueueKey]: ProcessorFactory<K> };
/** Some of them: what a test or one domain runs. */
export type ProcessorTable = Partial<WorkerTable>;

export interface WorkerPool {
  workers: Worker[];
  close(): Promise<void>;
}

export function resolveQueueSelection(requested: string[] | undefined, table: ProcessorTable): QueueKey[] {
  const available = (Object.keys(table) as QueueKey[]).filter((k) => table[k]);
  if (!requested || requested.length === 0) return available;
  return requested.map((name) => {
    const key = available.find((k) => QUEUES[k].name === name || k === name);
    if (!key) {
      throw new Error(`unknown queue "${name}"; workers exist for: ${available.map((k) => QUEUES[k].name).join(', ')}`);
    }
    return key;
  });
}

export function startWorkerPool(rt: Runtime, table: ProcessorTable, keys: QueueKey[], concurrency?: number): WorkerPool {
  const workers = keys.map((key) => {
    const factory = table[key] as ProcessorFactory<typeof key>;
    return defineWorker(key, factory(rt), {
      connection: rt.workerRedis,
      queues: rt.queues,
      logger: rt.logger,
      metrics: rt.metrics,
      concurrency: concurrency ?? QUEUES[key].concurrency,
      rateLimitRps: rt.config.cxone.rateLimit.rps,
      maxRateLimitRestarts: rt.config.rateLimitMaxRestarts,
      lockMs: rt.config.worker.lockMs,
    });
  });
  rt.logger.info({ queues: keys.map((k) => QUEUES[k].name), concurrency }, 'workers started');
  return {
    workers,
    async close() {
      await Promise.allSettled(workers.map((w) => w.close()));
      await rt.close();
    },
  };
}

/**
 * The workers of every account this process serves: one runtime (Redis connections, CXone
 * account, queues under the account's prefix) and one pool per account, one metrics
 * registry for the process (account series carry the account label). An account costs
 * its connections and about 2 MiB here, against a whole process when each has its own
 * (docs/adr/0006-accounts.md).
 */
export function startAccountPools(
  configs: readonly Config[],
  table: ProcessorTable,
  keys: QueueKey[],
  opts: { concurrency?: number | undefined; metrics: Metrics },
): WorkerPool & { runtimes: Runtime[] } {
  const runtimes = configs.map((config) => createRuntime(config, { role: 'worker', metrics: opts.metrics }));
  const pools = runtimes.map((rt) => startWorkerPool(rt, table, keys, opts.concurrency));
  return {
    runtimes,
    workers: pools.flatMap((p) => p.workers),
    async close() {
      await Promise.all(pools.map((p) => p.close()));
    },
  };
}
