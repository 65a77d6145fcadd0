// Lazily created Queue handles for the registry, one per wire name, each with an error
// listener (an unhandled 'error' event would crash the process).
import { Queue } from 'bullmq';
import type { Logger } from '../logger.ts';
import type { RedisConnection } from '../redis.ts';
import { QUEUES, type QueueKey } from './registry.ts';

export interface QueueSet {
  readonly prefix: string;
  get(key: QueueKey): Queue;
  /** Every queue opened so far. */
  opened(): Queue[];
  closeAll(): Promise<void>;
}

export function createQueueSet(deps: { connection: RedisConnection; prefix: string; logger: Logger }): QueueSet {
  const queues = new Map<QueueKey, Queue>();
  return {
    prefix: deps.prefix,
    get(key) {
      let q = queues.get(key);
      if (!q) {
        const def = QUEUES[key];
        q = new Queue(def.name, { connection: deps.connection, prefix: deps.prefix, defaultJobOptions: def.jobOptions });
        q.on('error', (err) => deps.logger.error({ err, queue: def.name }, 'queue error'));
        queues.set(key, q);
      }
      return q;
    },
    opened: () => [...queues.values()],
    async closeAll() {
      await Promise.allSettled([...queues.values()].map((q) => q.close()));
      queues.clear();
    },
  };
}
