// Step jobs through real workers and real Redis: waits that spend no attempt, the step and
// poll count saved in the job, a crashed worker resumed at the saved step, retries and 429s
// resuming at the same step, and the deadline. Steps here call nothing: the job mechanics
// are the subject (email provisioning runs the same helper against the simulator).
import type { Job, JobsOptions } from 'bullmq';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { redriveDeadLetters } from '../../src/dead-letters.ts';
import { ErrorCode, RateLimitedError, TransientError } from '../../src/errors.ts';
import { createLogger } from '../../src/logger.ts';
import { defineWorker } from '../../src/queues/define-worker.ts';
import type { Processor } from '../../src/queues/define-worker.ts';
import { defineStepJob, savedStep } from '../../src/queues/step-job.ts';
import type { Runtime } from '../../src/runtime.ts';
import { startTestFleet, type TestFleet } from '../helpers/fleet.ts';

let fleet: TestFleet | undefined;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  await fleet?.cleanup();
  fleet = undefined;
});

const WAIT = { timeout: 20_000, interval: 20 } as const;
// The step helper is generic over queues; the tests borrow email-provision's (its payload is small).
const payload = { accountId: 'default', specKey: 'spec-1', channelName: 'Steps' };

type Log = Record<string, unknown>[];

async function setup(label: string) {
  fleet = await startTestFleet({ label });
  const rt = fleet.runtime();
  const lines: Log = [];
  const logger = createLogger({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Log[number]) });
  const start = (processor: Processor<'emailProvision'>, extra: { lockMs?: number; maxRateLimitRestarts?: number } = {}) => {
    const worker = defineWorker('emailProvision', processor, {
      connection: rt.workerRedis,
      queues: rt.queues,
      logger,
      metrics: rt.metrics,
      concurrency: 1,
      maxRateLimitRestarts: extra.maxRateLimitRestarts ?? 5,
      ...(extra.lockMs ? { lockMs: extra.lockMs } : {}),
    });
    closers.push(() => worker.close());
    return worker;
  };
  const add = (jobId: string, opts: JobsOptions = {}) => rt.queues.get('emailProvision').add('email-provision', payload, { jobId, ...opts });
  return { rt, lines, start, add };
}

async function settled(rt: Runtime, jobId: string): Promise<Job> {
  await vi.waitFor(async () => expect(['completed', 'failed']).toContain(await rt.queues.get('emailProvision').getJobState(jobId)), WAIT);
  return (await rt.queues.get('emailProvision').getJob(jobId))!;
}

async function metric(rt: Runtime, name: string, labels: Record<string, string>): Promise<number> {
  const m = (await rt.metrics.registry.getSingleMetric(name)!.get()).values;
  return m.filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want)).reduce((a, v) => a + v.value, 0);
}

describe('step jobs', () => {
  it('waits several times without spending an attempt; the step and poll count are saved in the job', async () => {
    const { rt, lines, start, add } = await setup('stepwait');
    const trail: string[] = [];
    const attemptsSeen: number[] = [];
    start(
      defineStepJob<'emailProvision', 'a' | 'poll' | 'c', { n: number }>({
        first: 'a',
        initial: () => ({ n: 0 }),
        deadlineMs: () => 60_000,
        steps: {
          async a() {
            trail.push('a');
            return { wait: 10, then: 'poll' };
          },
          async poll({ state, save, polls, job }) {
            trail.push(`poll${polls}`);
            attemptsSeen.push(job.attemptsMade);
            await save({ n: state.n + 1 });
            return state.n + 1 < 4 ? { wait: 10, then: 'poll' } : { next: 'c' };
          },
          async c({ state }) {
            trail.push('c');
            return { done: true, result: { n: state.n } };
          },
        },
      }),
    );
    await add('waits');
    const job = await settled(rt, 'waits');
    expect(await job.getState()).toBe('completed');
    expect(job.returnvalue).toEqual({ n: 4 });
    expect(trail).toEqual(['a', 'poll1', 'poll2', 'poll3', 'poll4', 'c']);
    expect(attemptsSeen).toEqual([0, 0, 0, 0]);
    expect(job.attemptsMade).toBe(1); // the completion itself
    expect(job.attemptsStarted).toBe(5);
    expect(savedStep(job.data)).toMatchObject({ step: 'c', state: { n: 4 }, polls: 4 });
    expect(await metric(rt, 'cxone_fleet_step_waits_total', { queue: 'email-provision', step: 'poll' })).toBe(4);
    expect(await metric(rt, 'cxone_fleet_jobs_total', { queue: 'email-provision', outcome: 'waiting' })).toBe(4);
    expect(await metric(rt, 'cxone_fleet_jobs_total', { queue: 'email-provision', outcome: 'retry' })).toBe(0);
    // A wait is not a retry: no warn line, one debug line each.
    expect(lines.filter((l) => (l.level as number) >= 40)).toEqual([]);
    expect(lines.filter((l) => l.msg === 'job waiting')).toHaveLength(4);
  });

  it('a worker that dies after step a was saved: the stalled job resumes at step b on another worker', async () => {
    const { rt, start, add } = await setup('stepcrash');
    const runs: string[] = [];
    let bStarted = false;
    const def = (hangInB: boolean) =>
      defineStepJob<'emailProvision', 'a' | 'b', Record<string, never>>({
        first: 'a',
        initial: () => ({}),
        deadlineMs: () => 60_000,
        steps: {
          async a() {
            runs.push('a');
            return { next: 'b' };
          },
          async b() {
            runs.push(hangInB ? 'b (dies)' : 'b');
            bStarted = true;
            // The first worker never returns from b, as if its process had died mid-step.
            if (hangInB) await new Promise(() => undefined);
            return { done: true, result: 'resumed' };
          },
        },
      });
    const dying = start(def(true), { lockMs: 300 });
    await add('crash');
    await vi.waitFor(() => expect(bStarted).toBe(true), WAIT);
    expect(savedStep((await rt.queues.get('emailProvision').getJob('crash'))!.data)?.step).toBe('b');
    await dying.close(true); // no lock renewal from here on: the lock lapses and the job stalls
    start(def(false), { lockMs: 300 });
    const job = await settled(rt, 'crash');
    expect(await job.getState()).toBe('completed');
    expect(job.returnvalue).toBe('resumed');
    expect(runs).toEqual(['a', 'b (dies)', 'b']);
  });

  it('a retryable error and a 429 in a step resume at that step; a 429 after waits spends no attempt', async () => {
    const { rt, start, add } = await setup('stepretry');
    const runs: string[] = [];
    let failures = 0;
    start(
      defineStepJob<'emailProvision', 'a' | 'b', Record<string, never>>({
        first: 'a',
        initial: () => ({}),
        deadlineMs: () => 60_000,
        steps: {
          async a({ polls }) {
            runs.push(`a${polls}`);
            // Two waits first: they are starts without an attempt, and must not count as 429 restarts.
            return polls < 2 ? { wait: 5, then: 'a' } : { next: 'b' };
          },
          async b() {
            runs.push('b');
            failures++;
            if (failures === 1) throw new RateLimitedError('CXone said 429', 20);
            if (failures === 2) throw new TransientError('CXone answered 503', { code: ErrorCode.CxoneServerError });
            return { done: true };
          },
        },
      }),
      { maxRateLimitRestarts: 1 },
    );
    await add('retry', { backoff: { type: 'fixed', delay: 10 } });
    const job = await settled(rt, 'retry');
    expect(await job.getState()).toBe('completed');
    expect(runs).toEqual(['a0', 'a1', 'a2', 'b', 'b', 'b']);
    expect(job.attemptsMade).toBe(2); // the 503 and the completion; neither the waits nor the 429
    expect(await metric(rt, 'cxone_fleet_jobs_total', { queue: 'email-provision', outcome: 'rate_limited' })).toBe(1);
    expect(await metric(rt, 'cxone_fleet_jobs_total', { queue: 'email-provision', outcome: 'retry' })).toBe(1);
  });

  it('a job past its deadline fails for good with DEADLINE_EXCEEDED, its final-failure hook names the step, and a replay gets a new deadline', async () => {
    const { rt, start, add } = await setup('stepdeadline');
    const finals: { step: string | undefined; code: unknown; polls: number }[] = [];
    let runs = 0;
    start(
      defineStepJob<'emailProvision', 'poll', Record<string, never>>({
        first: 'poll',
        initial: () => ({}),
        deadlineMs: () => 300,
        steps: {
          async poll() {
            runs++;
            return { wait: 100, then: 'poll' };
          },
        },
        deadlineDetail: ({ data }) => `"${data.channelName}" never got ready`,
        async onFinalFailure(_data, err, ctx) {
          finals.push({ step: ctx.step, code: (err as { code?: unknown }).code, polls: ctx.polls });
        },
      }),
    );
    await add('deadline');
    const job = await settled(rt, 'deadline');
    expect(await job.getState()).toBe('failed');
    expect(job.failedReason).toMatch(/^DEADLINE_EXCEEDED: "Steps" never got ready \(deadline \S+ passed at step "poll" after \d+ waits\)$/);
    expect(job.attemptsMade).toBe(1);
    expect(finals).toHaveLength(1);
    expect(finals[0]).toMatchObject({ step: 'poll', code: ErrorCode.Deadline });
    expect(finals[0]!.polls).toBeGreaterThanOrEqual(1);

    // Replayed from the dead letters, it runs its step again before failing on a new deadline.
    const runsBefore = runs;
    expect((await redriveDeadLetters(rt.queues, 'emailProvision')).replayed).toEqual(['deadline']);
    await vi.waitFor(() => expect(finals).toHaveLength(2), WAIT);
    expect(runs).toBeGreaterThan(runsBefore);
    expect(finals[1]!.polls).toBeGreaterThan(finals[0]!.polls);
  });
});
