// The step-job contract of /work/coord/contracts.md (owner: src/queues/step-job.ts), as far
// as the flows steps use it. The publish steps are written against this shape so they run
// under defineStepJob unchanged; this file goes when step-job.ts is on the branch.
import type { Job } from 'bullmq';
import type { Logger } from '../logger.ts';

export type StepOutcome<S extends string> = { next: S } | { wait: number; then: S } | { done: true; result?: unknown };

export interface StepContext<D, St> {
  data: D;
  state: St;
  save(patch: Partial<St>): Promise<void>;
  polls: number;
  signal: AbortSignal;
  log: Logger;
  job: Job;
}
