// Dead letters: jobs in a queue's failed set. BullMQ moves a job there only once it will not
// be retried by itself (attempts exhausted, or an unrecoverable error); a job between
// attempts waits in `delayed`. Listing reads the set newest first, so `since` can stop early;
// replay moves each job back to waiting with its attempts reset, after a queue's guard (if
// any) has said yes: sms-send's reopens a `failed`/`unknown` message so its job sends it.
import type { Job } from 'bullmq';
import type { Config } from './config.ts';
import type { RedisConnection } from './redis.ts';
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

/**
 * Asked before a dead letter is replayed: whether to, and (unless a dry run) whatever must
 * change so the replayed job does its work rather than skip it.
 */
export type ReplayGuard = (job: Job, dryRun: boolean) => Promise<{ replay: true } | { replay: false; reason: string }>;

/** What a replay guard is made from: any door that replays (CLI, control API) has these. */
export interface ReplayGuardDeps {
  config: Config;
  redis: RedisConnection;
}

/** A domain's replay guards by queue (its manifest's `replayGuards`); a queue without one replays as is. */
export type ReplayGuardTable = { readonly [K in QueueKey]?: (deps: ReplayGuardDeps) => ReplayGuard };

export interface RedriveOptions extends DeadLetterQuery {
  /** Only these job ids (each must be a dead letter). */
  ids?: string[];
  /** Say what would be done; change nothing. */
  dryRun?: boolean;
  guard?: ReplayGuard;
}

export interface RedriveReport {
  queue: string;
  dryRun: boolean;
  /** Job ids replayed (or that would be, in a dry run). */
  replayed: string[];
  skipped: { jobId: string; reason: string }[];
  errors: { jobId: string; message: string }[];
}

const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The dead letters a redrive looks at, newest first: the given ids, or the failed set. */
async function* candidates(queues: QueueSet, key: QueueKey, opts: RedriveOptions, report: RedriveReport): AsyncGenerator<Job> {
  const queue = queues.get(key);
  if (opts.ids?.length) {
    for (const id of opts.ids) {
      const job = (await queue.getJob(id)) as Job | undefined;
      if (!job) report.errors.push({ jobId: id, message: 'no such job' });
      else if (!(await job.isFailed())) report.skipped.push({ jobId: id, reason: `not a dead letter (${await job.getState()})` });
      else yield job;
    }
    return;
  }
  // Ids first: replaying while walking would shift the pages under the walk.
  const ids = await queue.getRanges(['failed'], 0, -1, false);
  for (const id of ids) {
    const job = (await queue.getJob(id)) as Job | undefined;
    if (!job) continue; // removed meanwhile
    if (opts.since !== undefined && (job.finishedOn ?? 0) < opts.since) return;
    yield job;
  }
}

/** Replays dead letters (at most `limit`), each after the guard, and reports every one. */
export async function redriveDeadLetters(queues: QueueSet, key: QueueKey, opts: RedriveOptions = {}): Promise<RedriveReport> {
  const report: RedriveReport = { queue: QUEUES[key].name, dryRun: !!opts.dryRun, replayed: [], skipped: [], errors: [] };
  for await (const job of candidates(queues, key, opts, report)) {
    if (opts.limit !== undefined && report.replayed.length >= opts.limit) break;
    const jobId = String(job.id);
    try {
      const verdict = opts.guard ? await opts.guard(job, !!opts.dryRun) : ({ replay: true } as const);
      if (!verdict.replay) {
        report.skipped.push({ jobId, reason: verdict.reason });
        continue;
      }
      if (!opts.dryRun) await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      report.replayed.push(jobId);
    } catch (err) {
      // A job retried or removed meanwhile (another admin, another process) is reported, not fatal.
      report.errors.push({ jobId, message: errorMessage(err) });
    }
  }
  return report;
}
