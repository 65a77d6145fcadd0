// Runs a step definition (the step-job contract of src/queues/step-job.ts) inline, one
// attempt: steps in order from `from`, waits recorded instead of waited (the simulator
// advances flow jobs by polls, not by time), state merged by `save`. A thrown error ends
// the attempt and is returned with the step it happened at and the state saved so far,
// so a test resumes exactly where a retried job would.
import type { Job } from 'bullmq';
import { createLogger } from '../../src/logger.ts';
import type { StepContext, StepOutcome } from '../../src/flows/step-shape.ts';

export interface StepDefinition<S extends string, D, St> {
  first: S;
  steps: { [N in S]: (ctx: StepContext<D, St>) => Promise<StepOutcome<S>> };
}

export type AttemptResult<S extends string, St> =
  | { ok: true; result: unknown; state: St; trail: S[]; waits: number[] }
  | { ok: false; error: unknown; at: S; state: St; trail: S[]; waits: number[] };

export async function runAttempt<S extends string, D, St extends object>(
  def: StepDefinition<S, D, St>,
  data: D,
  opts: { state?: St; from?: S; polls?: number; maxSteps?: number } = {},
): Promise<AttemptResult<S, St>> {
  const state = { ...(opts.state ?? ({} as St)) };
  const trail: S[] = [];
  const waits: number[] = [];
  const log = createLogger({ level: 'silent' });
  let polls = opts.polls ?? 0;
  let at = opts.from ?? def.first;
  for (let n = 0; n < (opts.maxSteps ?? 1000); n++) {
    trail.push(at);
    const ctx: StepContext<D, St> = {
      data,
      state,
      save: async (patch) => void Object.assign(state, patch),
      polls,
      signal: new AbortController().signal,
      log,
      job: { id: 'inline' } as Job,
    };
    let out: StepOutcome<S>;
    try {
      out = await def.steps[at](ctx);
    } catch (error) {
      return { ok: false, error, at, state, trail, waits };
    }
    if ('done' in out) return { ok: true, result: out.result, state, trail, waits };
    if ('wait' in out) {
      waits.push(out.wait);
      polls++;
      at = out.then;
    } else at = out.next;
  }
  throw new Error(`no end after ${opts.maxSteps ?? 1000} steps: ${trail.slice(-5).join(' -> ')}`);
}
