// Runs the workers of the named queues in this process and closes them in order:
// workers first (finish or hand back active jobs), then queues, then Redis.
import type { Worker } from 'bullmq';
import { defineWorker, type Processor } from './queues/define-worker.ts';
import { QUEUES, type QueueKey } from './queues/registry.ts';
import type { Runtime } from './runtime.ts';

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
