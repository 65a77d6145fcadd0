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

declare const parsedBrand: unique symbol;
/**
 * A payload that came out of parsePayload, in this thread or in a validation thread beside
 * it: it is added as it is, without a second parse.
 */
export type ParsedPayload<K extends QueueKey> = PayloadOf<K> & { readonly [parsedBrand]: K };

export interface ParsedBulkItem<K extends QueueKey> {
  data: ParsedPayload<K>;
  opts?: EnqueueOptions;
}

export interface BulkResult {
  added: number;
  jobIds: string[];
  rejected: { index: number; error: ValidationError }[];
}

export function parsePayload<K extends QueueKey>(key: K, data: unknown): ParsedPayload<K> {
  const parsed = QUEUES[key].schema.safeParse(data);
  if (!parsed.success) {
    throw new ValidationError(`${QUEUES[key].name} payload`, zodIssuesToFields(parsed.error.issues));
  }
  return parsed.data as ParsedPayload<K>;
}

export interface Enqueuer {
  enqueue<K extends QueueKey>(key: K, data: InputOf<K>, opts?: EnqueueOptions): Promise<Job>;
  /** Valid items are added with addBulk in chunks; invalid ones are reported by index. */
  enqueueBulk<K extends QueueKey>(key: K, items: BulkItem<K>[], chunkSize?: number): Promise<BulkResult>;
  /** Payloads parsed already (parsePayload) are added with addBulk in chunks; returns their job ids. */
  addParsedBulk<K extends QueueKey>(key: K, items: ParsedBulkItem<K>[], chunkSize?: number): Promise<string[]>;
}

export function createEnqueuer(queues: QueueSet): Enqueuer {
  async function addParsedBulk<K extends QueueKey>(key: K, items: ParsedBulkItem<K>[], chunkSize = 500): Promise<string[]> {
    const queue = queues.get(key);
    const ids: string[] = [];
    for (let i = 0; i < items.length; i += chunkSize) {
      const jobs = await queue.addBulk(items.slice(i, i + chunkSize).map((item) => ({ name: QUEUES[key].name, data: item.data, opts: item.opts })));
      for (const j of jobs) ids.push(String(j.id));
    }
    return ids;
  }

  return {
    addParsedBulk,
    async enqueue(key, data, opts) {
      const payload = parsePayload(key, data);
      return queues.get(key).add(QUEUES[key].name, payload, opts);
    },
    async enqueueBulk(key, items, chunkSize = 500) {
      const result: BulkResult = { added: 0, jobIds: [], rejected: [] };
      const valid: ParsedBulkItem<typeof key>[] = [];
      items.forEach((item, index) => {
        try {
          valid.push({ data: parsePayload(key, item.data), ...(item.opts ? { opts: item.opts } : {}) });
        } catch (err) {
          if (!(err instanceof ValidationError)) throw err;
          result.rejected.push({ index, error: err });
        }
      });
      result.jobIds = await addParsedBulk(key, valid, chunkSize);
      result.added = result.jobIds.length;
      return result;
    },
  };
}
