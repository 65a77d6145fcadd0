// Dead letters: jobs in a queue's failed set. BullMQ moves a job there only once it will not
// be retried by itself (attempts exhausted, or an unrecoverable error); a job between
// attempts waits in `delayed`. Listing reads the set newest first, so `since` can stop early;
// replay moves each job back to waiting with its attempts reset.
import type { Job } from 'bullmq';
import type { QueueSet } from './queues/queue-set.ts';
import { QUEUES, type QueueKey } from './queues/registry.ts';

export interface DeadLetter {
  queue: string;
  jobId: string;
  name: string;
  attemptsMade: number;
  attempts: number;
  failedReason: string;
  /** Whether it failed before its last attempt: an unrecoverable error. */
  unrecoverable: boolean;
  failedAt: string | null;
  createdAt: string;
  requestId: string | undefined;
  data: unknown;
}

export interface DeadLetterQuery {
  /** Only jobs that failed at or after this time (epoch ms). */
  since?: number;
  /** At most this many (default 100). */
  limit?: number;
}

export interface ReplayResult {
  replayed: number;
  errors: { jobId: string; message: string }[];
}

const PAGE = 200;

function toDeadLetter(queueName: string, job: Job): DeadLetter {
  const attempts = job.opts.attempts ?? 1;
  const data = job.data as { requestId?: unknown } | null;
  return {
    queue: queueName,
    jobId: String(job.id),
    name: job.name,
    attemptsMade: job.attemptsMade,
    attempts,
    failedReason: job.failedReason ?? '',
    unrecoverable: job.attemptsMade < attempts,
    failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
    createdAt: new Date(job.timestamp).toISOString(),
    requestId: typeof data?.requestId === 'string' ? data.requestId : undefined,
    data: job.data,
  };
}

/** Failed jobs, newest first, walking the failed set page by page. */
async function* failedJobs(queues: QueueSet, key: QueueKey, since: number | undefined): AsyncGenerator<Job> {
  const queue = queues.get(key);
  for (let start = 0; ; start += PAGE) {
    const page = (await queue.getFailed(start, start + PAGE - 1)) as Job[];
    for (const job of page) {
      // The failed set is ordered by finish time, so the first older job ends the walk.
      if (since !== undefined && (job.finishedOn ?? 0) < since) return;
      yield job;
    }
    if (page.length < PAGE) return;
  }
}

export async function countDeadLetters(queues: QueueSet, key: QueueKey): Promise<number> {
  return queues.get(key).getFailedCount();
}

export async function listDeadLetters(queues: QueueSet, key: QueueKey, query: DeadLetterQuery = {}): Promise<DeadLetter[]> {
  const limit = Math.max(1, query.limit ?? 100);
  const out: DeadLetter[] = [];
  for await (const job of failedJobs(queues, key, query.since)) {
    out.push(toDeadLetter(QUEUES[key].name, job));
    if (out.length >= limit) break;
  }
  return out;
}

export async function replayDeadLetters(queues: QueueSet, key: QueueKey, query: DeadLetterQuery = {}): Promise<ReplayResult> {
  // Collected first: retrying while walking would shift the pages under the walk.
  const jobs: Job[] = [];
  for await (const job of failedJobs(queues, key, query.since)) {
    jobs.push(job);
    if (query.limit !== undefined && jobs.length >= query.limit) break;
  }
  const result: ReplayResult = { replayed: 0, errors: [] };
  for (const job of jobs) {
    try {
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      result.replayed += 1;
    } catch (err) {
      // A job retried or removed meanwhile (another admin, another process) is not an error of ours.
      result.errors.push({ jobId: String(job.id), message: err instanceof Error ? err.message : String(err) });
    }
  }
  return result;
}
