// Intake's writes are idempotent (message records by id, jobs by job id, figures by row),
// so when Redis stalls or drops the connection mid-batch the chunk is written again once
// it answers, for up to a bounded wait, instead of ending the batch halfway.
import { isRedisUnavailable } from '../ingress/http-error.ts';

export interface StallPolicy {
  /** How long Redis may go unanswering before the intake gives up (0: never wait). */
  budgetMs: number;
  /** Told of each wait: the error and how long this stall has lasted. */
  onStall?: ((err: Error, stalledMs: number) => void) | undefined;
}

const FIRST_PAUSE_MS = 100;
const MAX_PAUSE_MS = 2_000;

export async function retryWhileRedisStalls<T>(work: () => Promise<T>, policy: StallPolicy): Promise<T> {
  let since: number | undefined;
  let pause = FIRST_PAUSE_MS;
  for (;;) {
    try {
      return await work();
    } catch (err) {
      if (!isRedisUnavailable(err)) throw err;
      since ??= Date.now();
      const stalled = Date.now() - since;
      if (stalled >= policy.budgetMs) {
        throw new Error(`Redis did not answer for ${Math.round(stalled / 1000)} s (${(err as Error).message})`, { cause: err });
      }
      policy.onStall?.(err as Error, stalled);
      await new Promise((r) => setTimeout(r, Math.min(pause, policy.budgetMs - stalled)));
      pause = Math.min(pause * 2, MAX_PAUSE_MS);
    }
  }
}
