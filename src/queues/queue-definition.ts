// What a queue is: wire name, payload schema, job options, worker options. Each domain
// declares its own queues with defineQueue (src/<domain>/queues.ts); src/queues/registry.ts
// is their union.
import type { JobsOptions } from 'bullmq';
import type { z } from 'zod';

export interface QueueDefinition<S extends z.ZodType = z.ZodType> {
  /** Wire name in Redis. */
  readonly name: string;
  readonly description: string;
  readonly schema: S;
  readonly jobOptions: JobsOptions;
  /** Whether its jobs call CXone (and so share the account's budget and 429 pauses). */
  readonly callsCxone: boolean;
  /** Default per-process concurrency; the CLI may override. */
  readonly concurrency: number;
}

export function defineQueue<S extends z.ZodType>(def: QueueDefinition<S>): QueueDefinition<S> {
  return def;
}

/** Exponential backoff with full jitter: delay is uniform in [0, base * 2^(attempt-1)). */
export const backoff = (baseMs: number) => ({ type: 'exponential', delay: baseMs, jitter: 1 }) as const;

/**
 * The same backoff computed here, for waits a processor plans itself (delayed polls, a job
 * handed on): uniform in [0, min(cap, base * 2^n)), at least 1 ms, so a fleet of waits
 * started together spreads out instead of arriving in waves.
 */
export function fullJitterDelay(baseMs: number, n: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(n, 30));
  return Math.max(1, Math.floor(random() * ceiling));
}

/** Completed jobs are evidence for a while; failed ones are kept longer for the DLQ view. */
export const keep = (completedAgeS: number, failedAgeS: number) => ({
  removeOnComplete: { age: completedAgeS, count: 100_000 },
  removeOnFail: { age: failedAgeS, count: 100_000 },
});
