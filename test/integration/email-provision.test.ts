// Email channel provisioning end to end: real Redis, the simulator over HTTP, workers in
// process. Provisioning is one step job per request; its activation polls are waits of that
// job (delayed, small backoffs); nothing sleeps.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Job } from 'bullmq';
import { emailKeys } from '../../src/email/keys.ts';
import { savedStep } from '../../src/queues/step-job.ts';
import { DEFAULT_CLIENT } from '../../src/simulator/config.ts';
import { ALL_SCOPES, SCOPES } from '../../src/simulator/scopes.ts';
import { emailProcessorsWith, EMAIL_PROCESSORS } from '../../src/email/processors.ts';
import { dumpPrefix, SMTP_PASSWORD, startEmailHarness, type EmailHarness } from '../fixtures/email-pipeline/harness.ts';
import { jobEnded } from '../helpers/jobs.ts';

let h: EmailHarness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

const FAST = { pollBaseMs: 20, pollMaxMs: 100, activationTimeoutMs: 30_000, healthEveryMs: 0 } as const;
const WAIT = { timeout: 30_000, interval: 25 } as const;

async function untilStep(harness: EmailHarness, name: string, step: string) {
  await vi.waitFor(async () => expect((await harness.svc.state.get(name))?.step).toBe(step), WAIT);
  return (await harness.svc.state.get(name))!;
}

const untilJobSettled = (harness: EmailHarness, jobId: string) => jobEnded(harness.rt.queues.get('emailProvision'), jobId, WAIT);

describe('email provisioning', () => {
  it('provisions a good spec end to end: channel, activation after several PENDING polls, rules; a re-run creates nothing new', async () => {
    h = await startEmailHarness('emprov', { email: { activation: { pendingPolls: 4 } } });
    const spec = await h.load();
    const req = await h.svc.provision(spec, h.specDir.dir, FAST);
    // Asking again while the job has not finished joins it.
    expect((await h.svc.provision(spec, h.specDir.dir, FAST)).jobId).toBe(req.jobId);
    h.fleet.workers(EMAIL_PROCESSORS, ['emailProvision']);

    const s = await untilStep(h, 'Pipeline inbox', 'done');
    expect(s.channelId).toBeTruthy();
    expect(s.activation).toBe('active');
    expect(s.polls).toBe(5); // 4 x PENDING, then ACTIVE
    expect(Object.keys(s.rules).sort()).toEqual(['partners', 'resellers']);
    const stats = h.fleet.sim.stats().email;
    expect(stats.channelsCreated).toBe(1);
    expect(stats.rulesCreated).toBe(2);
    expect(stats.channels.ACTIVE).toBe(1);

    // One job from spec to rules: each poll was a wait of it (delayed, no attempt spent),
    // not a loop in a worker and not a job of its own.
    await untilJobSettled(h, req.jobId);
    const jobs = (await h.rt.queues.get('emailProvision').getJobs(['completed', 'failed', 'delayed', 'waiting', 'active'])) as Job[];
    expect(jobs.map((j) => j.id)).toEqual([req.jobId]);
    expect(jobs[0]!.attemptsMade).toBe(1);
    expect(savedStep(jobs[0]!.data)).toMatchObject({ step: 'health', polls: 5 });

    // Secrets never reach Redis: not in the spec record, the state, any job, or the audit stream.
    const everything = await dumpPrefix(h.rt, h.fleet.prefix);
    expect(everything).not.toContain(SMTP_PASSWORD);
    expect(everything).not.toContain(h.specDir.pem.split('\n')[1]!);
    expect(everything).toContain('CXONE_SECRET_TEST_SMTP_PASSWORD');

    // Re-run of the same spec: the job runs again and finds every step recorded.
    const again = await h.svc.provision(spec, h.specDir.dir, FAST);
    await untilJobSettled(h, again.jobId);
    expect(await (await h.rt.queues.get('emailProvision').getJob(again.jobId))!.getState()).toBe('completed');
    expect((await h.svc.state.get('Pipeline inbox'))!.step).toBe('done');
    const after = h.fleet.sim.stats().email;
    expect(after.channelsCreated).toBe(1);
    expect(after.rulesCreated).toBe(2);
    expect(after.conflicts).toBe(0);
    expect(req.specKey).toBe(again.specKey);
  });

  it('finds the existing channel by its 409 when the fleet has no record of it', async () => {
    h = await startEmailHarness('em409', { email: { activation: { pendingPolls: 1 } } });
    const spec = await h.load();
    await h.svc.provision(spec, h.specDir.dir, FAST);
    h.fleet.workers(EMAIL_PROCESSORS, ['emailProvision']);
    const first = await untilStep(h, 'Pipeline inbox', 'done');
    // Forget the fleet's state (as after losing Redis): CXone still has channel and rules.
    await h.rt.redis.del(emailKeys(h.fleet.prefix).channel('Pipeline inbox'));
    await h.svc.provision(spec, h.specDir.dir, FAST);
    const second = await untilStep(h, 'Pipeline inbox', 'done');
    expect(second.channelId).toBe(first.channelId);
    expect(second.channelCreated).toBe(false);
    expect(second.rules).toEqual(first.rules);
    const stats = h.fleet.sim.stats().email;
    expect(stats.channelsCreated).toBe(1);
    expect(stats.rulesCreated).toBe(2);
    expect(stats.conflicts).toBe(3);
  });

  it('a channel that never activates ends in a failed job naming the likely causes after the deadline', async () => {
    h = await startEmailHarness('emnever', { email: { activation: { mode: 'never' } } });
    const spec = await h.load();
    await h.svc.provision(spec, h.specDir.dir, { ...FAST, pollMaxMs: 200, activationTimeoutMs: 1_500 });
    h.fleet.workers(EMAIL_PROCESSORS, ['emailProvision']);

    const s = await untilStep(h, 'Pipeline inbox', 'failed');
    expect(s.activation).toBe('failed');
    expect(s.lastError).toMatch(/still PENDING after \d+ polls/);
    expect(s.lastError).toMatch(/SMTP credentials/);
    expect(s.lastError).toMatch(/DKIM private key/);
    // The channel is marked failed just before BullMQ moves the job to the failed set.
    const failed = await vi.waitFor(async () => {
      const jobs = (await h!.rt.queues.get('emailProvision').getJobs(['failed'])) as Job[];
      if (jobs.length === 0) throw new Error('the job is not in the failed set yet');
      return jobs;
    }, WAIT);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.attemptsMade).toBe(1); // permanent: no retries
    expect(failed[0]!.failedReason).toMatch(/DEADLINE_EXCEEDED: .*SMTP credentials.*DKIM private key/);
    expect(h.fleet.sim.stats().email.rulesCreated).toBe(0);
  });

  it('a FAILED channel fails with CXone lastError', async () => {
    h = await startEmailHarness('emfail', { email: { activation: { pendingPolls: 1, onBadCredentials: 'fail' } } });
    process.env.CXONE_SECRET_TEST_SMTP_PASSWORD = 'wrong';
    const spec = await h.load();
    await h.svc.provision(spec, h.specDir.dir, FAST);
    h.fleet.workers(EMAIL_PROCESSORS, ['emailProvision']);
    const s = await untilStep(h, 'Pipeline inbox', 'failed');
    expect(s.lastError).toMatch(/is FAILED: SMTP_AUTH_FAILED: SMTP authentication failed/);
  });

  it('a job that fails for good marks its channel failed with the reason (the rules step is refused a scope)', async () => {
    const noRules = { ...DEFAULT_CLIENT, scopes: ALL_SCOPES.filter((sc) => sc !== SCOPES.emailRulesWrite) };
    h = await startEmailHarness('emforbid', { clients: [noRules], email: { activation: { pendingPolls: 1 } } });
    const req = await h.svc.provision(await h.load(), h.specDir.dir, FAST);
    h.fleet.workers(EMAIL_PROCESSORS, ['emailProvision']);
    const s = await untilStep(h, 'Pipeline inbox', 'failed');
    expect(s.lastError).toMatch(/^CXONE_FORBIDDEN: .*missing scope email:rules:write/);
    expect(s.activation).toBe('active'); // the channel is there and active; the rules are not
    expect(s.rules).toEqual({});
    const job = await untilJobSettled(h, req.jobId);
    expect(await job.getState()).toBe('failed');
    expect(savedStep(job.data)?.step).toBe('rules');
  });

  it('a worker that crashes between steps is resumed by a fresh worker without a second channel', async () => {
    h = await startEmailHarness('emcrash', { email: { activation: { pendingPolls: 2 } } });
    const spec = await h.load();
    let crashed = 0;
    const crashing = h.fleet.workers(
      emailProcessorsWith({
        onStep: (step) => {
          if (step === 'created' && crashed++ === 0) throw new Error('simulated crash right after the channel was created');
        },
      }),
      ['emailProvision'],
    );
    const req = await h.svc.provision(spec, h.specDir.dir, FAST);
    await vi.waitFor(() => expect(crashed).toBe(1), WAIT);
    await crashing.close();
    const mid = (await h.svc.state.get('Pipeline inbox'))!;
    expect(mid.channelId).toBeTruthy();
    expect(mid.step).toBe('activating');

    h.fleet.workers(EMAIL_PROCESSORS, ['emailProvision']);
    const s = await untilStep(h, 'Pipeline inbox', 'done');
    expect(s.channelId).toBe(mid.channelId);
    // The processor records 'done' before BullMQ moves the job (and counts the attempt).
    await untilJobSettled(h, req.jobId);
    const job = await h.rt.queues.get('emailProvision').getJob(req.jobId);
    expect(job!.attemptsMade).toBe(2);
    const stats = h.fleet.sim.stats().email;
    expect(stats.channelsCreated).toBe(1);
    expect(stats.conflicts).toBe(0);
    expect(stats.rulesCreated).toBe(2);
  });

  it('a worker that dies after the first rule (its lock lapses) is taken over at the rules step', async () => {
    h = await startEmailHarness('emdie', { email: { activation: { pendingPolls: 1 } } }, { WORKER_LOCK_MS: '1000' });
    const steps: string[] = [];
    const dying = h.fleet.workers(
      emailProcessorsWith({
        onStep: async (step) => {
          steps.push(step);
          // Never returns, as if the process had died right after recording the first rule.
          if (step === 'rule-created') await new Promise(() => undefined);
        },
      }),
      ['emailProvision'],
    );
    const req = await h.svc.provision(await h.load(), h.specDir.dir, FAST);
    await vi.waitFor(() => expect(steps).toContain('rule-created'), WAIT);
    await Promise.all(dying.workers.map((w) => w.close(true)));
    expect(Object.keys((await h.svc.state.get('Pipeline inbox'))!.rules)).toHaveLength(1);

    h.fleet.workers(EMAIL_PROCESSORS, ['emailProvision']);
    const s = await untilStep(h, 'Pipeline inbox', 'done');
    expect(Object.keys(s.rules).sort()).toEqual(['partners', 'resellers']);
    await untilJobSettled(h, req.jobId);
    const job = (await h.rt.queues.get('emailProvision').getJob(req.jobId))!;
    expect(await job.getState()).toBe('completed');
    expect(job.attemptsMade).toBe(1); // a stall is not an attempt
    const stats = h.fleet.sim.stats().email;
    expect(stats.channelsCreated).toBe(1);
    expect(stats.rulesCreated).toBe(2);
    expect(stats.conflicts).toBe(0);
    expect(stats.channelPolls).toBe(2); // activation was not polled again
  });
});
