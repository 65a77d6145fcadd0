// Producers' single door into the queues: parse against the registry's schema, then add.
import type { Job, JobsOptions } from 'bullmq';
import { ValidationError, zodIssuesToFields } from '../errors.ts';
import { QUEUES, type InputOf, type PayloadOf, type QueueKey } from './registry.ts';
import type { QueueSet } from './queue-set.ts';

export type EnqueueOptions = Pick<JobsOptions, 'jobId' | 'delay' | 'priority' | 'deduplication'>;

export interface BulkItem<K extends QueueKey> {
  data: InputOf<K>;
  opts?: EnqueueOptions;
}

export interface BulkResult {
  added: number;
  jobIds: string[];
  rejected: { index: number; error: ValidationError }[];
}

export function parsePayload<K extends QueueKey>(key: K, data: unknown): PayloadOf<K> {
  const parsed = QUEUES[key].schema.safeParse(data);
  if (!parsed.success) {
    throw new ValidationError(`${QUEUES[key].name} payload`, zodIssuesToFields(parsed.error.issues));
  }
  return parsed.data as PayloadOf<K>;
}

export interface Enqueuer {
  enqueue<K extends QueueKey>(key: K, data: InputOf<K>, opts?: EnqueueOptions): Promise<Job>;
  /** Valid items are added with addBulk in chunks; invalid ones are reported by index. */
  enqueueBulk<K extends QueueKey>(key: K, items: BulkItem<K>[], chunkSize?: number): Promise<BulkResult>;
}

export function createEnqueuer(queues: QueueSet): Enqueuer {
  return {
    async enqueue(key, data, opts) {
      const payload = parsePayload(key, data);
      return queues.get(key).add(QUEUES[key].name, payload, opts);
    },
    async enqueueBulk(key, items, chunkSize = 500) {
      const result: BulkResult = { added: 0, jobIds: [], rejected: [] };
      const valid: { name: string; data: unknown; opts?: JobsOptions }[] = [];
      items.forEach((item, index) => {
        try {
          valid.push({ name: QUEUES[key].name, data: parsePayload(key, item.data), opts: item.opts });
        } catch (err) {
          if (!(err instanceof ValidationError)) throw err;
          result.rejected.push({ index, error: err });
        }
      });
      const queue = queues.get(key);
      for (let i = 0; i < valid.length; i += chunkSize) {
        const jobs = await queue.addBulk(valid.slice(i, i + chunkSize));
        result.added += jobs.length;
        for (const j of jobs) result.jobIds.push(String(j.id));
      }
      return result;
    },
  };
}
