// Publishing flows (FL-1..FL-5, FL-7 of shared/campaigns-flows.md 5.1): the services as a
// producer calls them, the flow-publish step job in real workers, real Redis and the
// simulator over HTTP. The simulator advances flow jobs by polls, so nothing waits on time.
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, type FleetError } from '../../src/errors.ts';
import { stepPolls } from '../../src/queues/step-job.ts';
import { flowJobIds } from '../../src/flows/keys.ts';
import { seedContent, startFlowHarness, type FlowHarness } from '../fixtures/flows/publish-harness.ts';
import { killWorkers, spawnWorker } from '../helpers/worker-processes.ts';

let h: FlowHarness | undefined;
afterEach(async () => {
  await killWorkers();
  await h?.cleanup();
  h = undefined;
});

const NAME = 'Q3 Outbound Compliance Campaign';
const kindsOf = (records: { kind: string; status: string }[]) => records.map((r) => `${r.kind} ${r.status}`);

async function publishOnce(harness: FlowHarness, flow: unknown = seedContent(), o: { message?: string; force?: boolean } = {}) {
  const accepted = await harness.svc.publish(flow, o);
  return { accepted, record: await harness.settle(accepted.publishId) };
}

const job = (harness: FlowHarness, publishId: string) => harness.rt.queues.get('flowPublish').getJob(flowJobIds.publish(publishId));

describe('flow publish', () => {
  it('FL-1 pending 2 polls, running 2, completed: flow id and revision recorded, counters, audit in order', async () => {
    h = await startFlowHarness('flpub1');
    const { accepted, record } = await publishOnce(h, seedContent(), { message: 'first cut' });

    const sim = h.fleet.sim;
    const [cx] = sim.flows.flows(NAME);
    expect(sim.stats().flows).toMatchObject({ jobsCreated: 1, jobPolls: 5, jobsByStatus: { completed: 1 } });
    expect(record).toMatchObject({ status: 'completed', cxoneFlowId: cx!.id, revision: 1, polls: 5, message: 'first cut' });
    expect(record.steps.map((s) => `${s.step}:${s.status}`)).toEqual(['queued:ok', 'validate:ok', 'submit:ok', 'poll:pending', 'poll:running', 'persist:completed', 'done:completed']);
    // One BullMQ job from start to end, in one attempt; each poll came after a wait (the job
    // delayed, no attempt spent).
    const j = (await job(h, accepted.publishId))!;
    expect(await j.getState()).toBe('completed');
    expect(stepPolls(j.data)).toBe(5);
    expect(j.attemptsMade).toBe(1);

    const [rev] = await h.svc.store.revisions(NAME);
    expect(rev).toMatchObject({ revision: 1, flowKey: accepted.flowKey, message: 'first cut', cxoneFlowId: cx!.id, cxoneJobId: record.cxoneJobId, publishId: accepted.publishId });
    expect(Date.parse(rev!.publishedAt)).not.toBeNaN();

    const m = await h.svc.metrics();
    expect(m).toMatchObject({ total_builds: 1, successful_validations: 1, failed_validations: 0 });
    expect(m.total_latency_ms).toBeGreaterThan(0);
    expect(kindsOf(await h.flowAudit())).toEqual(['flow.validate passed', 'flow.simulate passed', 'flow.create submitted', 'flow.persist completed']);
    const text = await h.workerRt!.metrics.registry.metrics();
    expect(text).toMatch(/cxone_fleet_flow_builds_total\{result="completed"\} 1/);
    expect(text).toMatch(/cxone_fleet_flow_job_polls_total\{status="pending"\} 2/);
  });

  it('FL-2 a failed job shows the server errors: "job failed: a, b", audit persist failed, no revision', async () => {
    h = await startFlowHarness('flpub2');
    h.fleet.sim.flows.configure({ outcome: 'failed', jobErrors: ['a', 'b'] });
    const { accepted, record } = await publishOnce(h);
    expect(record).toMatchObject({ status: 'failed', errorCode: ErrorCode.FlowJobFailed, error: 'job failed: a, b', serverErrors: ['a', 'b'] });
    expect((await job(h, accepted.publishId))!.failedReason).toContain('job failed: a, b');
    expect(kindsOf(await h.flowAudit())).toEqual(['flow.validate passed', 'flow.simulate passed', 'flow.create submitted', 'flow.persist failed']);
    expect(await h.svc.store.revisions(NAME)).toEqual([]);
    expect((await h.svc.metrics()).total_builds).toBe(0);
  });

  it('FL-3 a job that never completes: "job polling timed out after 10 attempts", audit persist incomplete', async () => {
    h = await startFlowHarness('flpub3');
    h.fleet.sim.flows.configure({ outcome: 'never' });
    const { record } = await publishOnce(h);
    expect(record).toMatchObject({ status: 'failed', errorCode: ErrorCode.Deadline, error: 'job polling timed out after 10 attempts', polls: 10 });
    expect(h.fleet.sim.stats().flows.jobPolls).toBe(10);
    expect(kindsOf(await h.flowAudit()).at(-1)).toBe('flow.persist incomplete');
  });

  it('past the publish deadline while CXone\'s job runs on: DEADLINE_EXCEEDED saying what it waited for, audit persist incomplete', async () => {
    h = await startFlowHarness('fldead', { env: { FLOW_PUBLISH_DEADLINE_S: '1', FLOW_JOB_MAX_POLLS: '100000', FLOW_JOB_POLL_MS: '100' } });
    h.fleet.sim.flows.configure({ outcome: 'never' });
    const { record } = await publishOnce(h);
    expect(record).toMatchObject({ status: 'failed', errorCode: ErrorCode.Deadline });
    expect(record.error).toMatch(new RegExp(`^CXone job ${record.cxoneJobId!} of "${NAME}" still (pending|running) after \\d+ poll\\(s\\) \\(deadline .* passed at step "poll"`));
    expect(kindsOf(await h.flowAudit()).at(-1)).toBe('flow.persist incomplete');
  });

  it('FL-4 a server-only rule: 422 is permanent with the server problems; failed_validations unchanged', async () => {
    h = await startFlowHarness('flpub4');
    h.fleet.sim.flows.configure({ extraSyntaxRules: ['description-required'] });
    const { accepted, record } = await publishOnce(h, { ...seedContent(), description: '' });
    expect(record).toMatchObject({ status: 'failed', errorCode: ErrorCode.CxoneBadRequest, error: 'CXone flowCreate answered 422: description: a description is required' });
    const j = (await job(h, accepted.publishId))!;
    expect(j.attemptsMade).toBe(1);
    expect(h.fleet.sim.stats().flows).toMatchObject({ jobsCreated: 0, status422: 1 });
    expect(await h.svc.metrics()).toMatchObject({ successful_validations: 1, failed_validations: 0, total_builds: 0 });
    expect(kindsOf(await h.flowAudit()).at(-1)).toBe('flow.create failed');
  });

  it('FL-5 a 429 on POST /api/flows, then a lost response: one CXone job (idempotency key)', async () => {
    h = await startFlowHarness('flpub5');
    h.fleet.sim.flows.configure({ throttleNextCreates: 1, dropNextCreateResponses: 1 });
    const { accepted, record } = await publishOnce(h);
    expect(record.status).toBe('completed');
    expect(h.fleet.sim.stats().flows).toMatchObject({ createsThrottled: 1, jobsCreated: 1, idempotentReplays: 1 });
    // The 429 cost no attempt (a deferral); the lost response one: two attempts in all.
    expect((await job(h, accepted.publishId))!.attemptsMade).toBe(2);
  });

  it('a worker killed between POST /api/flows and completion: the next worker resumes at the poll, one CXone job', async () => {
    h = await startFlowHarness('flkill', { workers: false });
    h.fleet.sim.flows.configure({ pendingPolls: 1_000_000 });
    const { publishId } = await h.svc.publish(seedContent());
    const worker = spawnWorker({ ...h.fleet.env, FLOW_JOB_POLL_MS: '50', WORKER_LOCK_MS: '1000' }, ['--queues', 'flow-publish']);
    await expect.poll(async () => (await h!.svc.records.get(publishId))?.polls ?? 0, { timeout: 60_000, interval: 50 }).toBeGreaterThanOrEqual(2);
    worker.kill('SIGKILL');
    expect(h.fleet.sim.stats().flows.jobsCreated).toBe(1);
    h.fleet.sim.flows.configure({ pendingPolls: 0, runningPolls: 0 });
    h.startWorkers();
    const record = await h.settle(publishId);
    expect(record.status).toBe('completed');
    expect(h.fleet.sim.stats().flows).toMatchObject({ jobsCreated: 1, jobsByStatus: { completed: 1 } });
    expect(record.steps.filter((s) => s.step === 'submit')).toHaveLength(1);
    expect(await h.svc.store.revisions(NAME)).toHaveLength(1);
  });

  it('FL-7 identical content: unchanged, no CXone job; --force: a new job and revision', async () => {
    h = await startFlowHarness('flpub7');
    await publishOnce(h);
    const same = await publishOnce(h);
    expect(same.record).toMatchObject({ status: 'unchanged', revision: 1 });
    expect(h.fleet.sim.stats().flows.jobsCreated).toBe(1);

    const forced = await publishOnce(h, seedContent(), { force: true, message: 'again' });
    expect(forced.record).toMatchObject({ status: 'completed', revision: 2 });
    expect(h.fleet.sim.stats().flows).toMatchObject({ jobsCreated: 2, flowsByName: { [NAME]: 2 } });
    expect((await h.svc.store.revisions(NAME)).map((r) => r.revision)).toEqual([1, 2]);
    expect(await h.workerRt!.metrics.registry.metrics()).toMatch(/cxone_fleet_flow_builds_total\{result="unchanged"\} 1/);
  });

  it('two publishes of the same content asked at once share one CXone job and one revision', async () => {
    h = await startFlowHarness('fltwin');
    const [a, b] = await Promise.all([h.svc.publish(seedContent()), h.svc.publish(seedContent())]);
    expect([a.baseRevision, b.baseRevision]).toEqual([0, 0]);
    const [ra, rb] = await Promise.all([h.settle(a.publishId), h.settle(b.publishId)]);
    expect([ra.status, rb.status].every((s) => s === 'completed' || s === 'unchanged')).toBe(true);
    expect(h.fleet.sim.stats().flows.jobsCreated).toBe(1);
    expect(await h.svc.store.revisions(NAME)).toHaveLength(1);
    expect((await h.svc.metrics()).total_builds).toBe(1);
  });

  it('an invalid flow is refused with every problem, counted as a failed validation, and nothing is enqueued', async () => {
    h = await startFlowHarness('flbad', { workers: false });
    const bad = seedContent();
    bad.transitions.push({ from_node: 'collect_input', to_node: 'dsiconnect', condition: 'input=3' });
    bad.nodes = bad.nodes.filter((n) => n.type !== 'disclosure');
    const err = await h.svc.publish(bad).catch((e: unknown) => e);
    expect((err as FleetError).code).toBe(ErrorCode.FlowInvalid);
    const lines = (err as Error).message.split('\n').slice(1);
    expect(lines).toContain('transitions[5].to_node: TRANSITION_TO_MISSING transition references missing to_node: dsiconnect');
    expect(lines.some((l) => l.includes('DISCLOSURE_MISSING'))).toBe(true);
    expect(await h.rt.queues.get('flowPublish').getJobCounts()).toMatchObject({ waiting: 0, delayed: 0, active: 0 });
    expect(await h.svc.metrics()).toMatchObject({ failed_validations: 1, successful_validations: 0 });
  });

  it('revisions, diff by name@revision, and rollback publishing an earlier content as a new revision', async () => {
    h = await startFlowHarness('flrev');
    const v1 = await publishOnce(h, seedContent(), { message: 'v1' });
    await publishOnce(h, { ...seedContent(), description: 'second' }, { message: 'v2' });
    expect((await h.svc.diff(`${NAME}@1`, `${NAME}@2`)).map((c) => c.kind)).toEqual(['field']);

    const back = await h.svc.rollback(NAME, 1);
    expect(back.baseRevision).toBe(2);
    expect((await h.settle(back.publishId)).status).toBe('completed');
    const revs = await h.svc.store.revisions(NAME);
    expect(revs.map((r) => [r.revision, r.flowKey === v1.accepted.flowKey, r.message])).toEqual([
      [1, true, 'v1'],
      [2, false, 'v2'],
      [3, true, 'rollback to revision 1'],
    ]);
    const err = await h.svc.rollback(NAME, 9).catch((e: unknown) => e);
    expect((err as Error).message).toContain('has no revision 9');
  });
});
