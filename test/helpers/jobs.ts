// Waiting for BullMQ to finish with a job. A processor writes its own final record (a
// publish, an activation, a launch, a channel) before BullMQ moves the job to completed or
// failed and counts the attempt, so a test that reads the job's attempts, state or result
// after seeing the record waits for this first.
import type { Job, Queue } from 'bullmq';
import { expect, vi } from 'vitest';

/** Resolves with the job once it is completed or failed. */
export async function jobEnded(queue: Queue, jobId: string, wait: { timeout: number; interval: number }): Promise<Job> {
  await vi.waitFor(async () => expect(['completed', 'failed']).toContain(await queue.getJobState(jobId)), wait);
  return (await queue.getJob(jobId))!;
}
