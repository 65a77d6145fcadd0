// Publishing flows (FL-1..FL-5, FL-7 of shared/campaigns-flows.md 5.1): the services as a
// producer calls them, the publish steps as a worker runs them, real Redis and the
// simulator over HTTP. The simulator advances flow jobs by polls, so nothing waits on time.
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, FleetError } from '../../src/errors.ts';
import { seedContent, startFlowHarness, type FlowHarness } from '../fixtures/flows/publish-harness.ts';
import { runAttempt } from '../helpers/run-steps.ts';

let h: FlowHarness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

const kindsOf = (records: { kind: string; status: string }[]) => records.map((r) => `${r.kind} ${r.status}`);

async function publishOnce(harness: FlowHarness, flow: unknown = seedContent(), o: { message?: string; force?: boolean } = {}) {
  const accepted = await harness.svc.publish(flow, o);
  const data = harness.enqueued.at(-1)!;
  expect(data.publishId).toBe(accepted.publishId);
  return { accepted, data, settled: await harness.settle(data) };
}

describe('flow publish', () => {
  it('FL-1 pending 2 polls, running 2, completed: flow id and revision recorded, counters, audit in order', async () => {
    h = await startFlowHarness('flpub1');
    const { accepted, settled } = await publishOnce(h, seedContent(), { message: 'first cut' });
    expect(settled.ok).toBe(true);
    expect(settled.trail).toEqual(['validate', 'compare', 'submit', 'poll', 'poll', 'poll', 'poll', 'poll', 'subscribe']);

    const sim = h.fleet.sim;
    const [cx] = sim.flows.flows('Q3 Outbound Compliance Campaign');
    expect(sim.stats().flows).toMatchObject({ jobsCreated: 1, jobPolls: 5, jobsByStatus: { completed: 1 } });
    const status = (await h.svc.publishStatus(accepted.publishId))!;
    expect(status).toMatchObject({ status: 'completed', cxoneFlowId: cx!.id, revision: 1, polls: 5, message: 'first cut' });
    expect(status.steps.map((s) => `${s.step}:${s.status}`)).toEqual(['queued:ok', 'validate:ok', 'submit:ok', 'poll:pending', 'poll:running', 'persist:completed', 'done:completed']);

    const [rev] = await h.svc.store.revisions('Q3 Outbound Compliance Campaign');
    expect(rev).toMatchObject({ revision: 1, flowKey: accepted.flowKey, message: 'first cut', cxoneFlowId: cx!.id, cxoneJobId: status.cxoneJobId, publishId: accepted.publishId });
    expect(Date.parse(rev!.publishedAt)).not.toBeNaN();

    const m = await h.svc.metrics();
    expect(m).toMatchObject({ total_builds: 1, successful_validations: 1, failed_validations: 0 });
    expect(m.total_latency_ms).toBeGreaterThan(0);
    expect(kindsOf(await h.flowAudit())).toEqual(['flow.validate passed', 'flow.simulate passed', 'flow.create submitted', 'flow.persist completed']);
    const text = await h.rt.metrics.registry.metrics();
    expect(text).toMatch(/cxone_fleet_flow_builds_total\{result="completed"\} 1/);
    expect(text).toMatch(/cxone_fleet_flow_job_polls_total\{status="pending"\} 2/);
  });

  it('FL-2 a failed job shows the server errors: "job failed: a, b", audit persist failed, no revision', async () => {
    h = await startFlowHarness('flpub2');
    h.fleet.sim.flows.configure({ outcome: 'failed', jobErrors: ['a', 'b'] });
    const { accepted, settled } = await publishOnce(h);
    expect(settled.ok).toBe(false);
    expect(settled.error).toBeInstanceOf(FleetError);
    expect((settled.error as FleetError).code).toBe(ErrorCode.FlowJobFailed);
    expect((settled.error as Error).message).toBe('job failed: a, b');
    expect(await h.svc.publishStatus(accepted.publishId)).toMatchObject({ status: 'failed', errorCode: 'FLOW_JOB_FAILED', error: 'job failed: a, b', serverErrors: ['a', 'b'] });
    expect(kindsOf(await h.flowAudit())).toEqual(['flow.validate passed', 'flow.simulate passed', 'flow.create submitted', 'flow.persist failed']);
    expect(await h.svc.store.revisions('Q3 Outbound Compliance Campaign')).toEqual([]);
    expect((await h.svc.metrics()).total_builds).toBe(0);
  });

  it('FL-3 a job that never completes: "job polling timed out after 10 attempts", audit persist incomplete', async () => {
    h = await startFlowHarness('flpub3');
    h.fleet.sim.flows.configure({ outcome: 'never' });
    const { accepted, settled } = await publishOnce(h);
    expect(settled.ok).toBe(false);
    expect((settled.error as FleetError).code).toBe(ErrorCode.Deadline);
    expect((settled.error as Error).message).toBe('job polling timed out after 10 attempts');
    expect(h.fleet.sim.stats().flows.jobPolls).toBe(10);
    expect(await h.svc.publishStatus(accepted.publishId)).toMatchObject({ status: 'failed', errorCode: 'DEADLINE_EXCEEDED', polls: 10 });
    expect(kindsOf(await h.flowAudit()).at(-1)).toBe('flow.persist incomplete');
  });

  it('FL-4 a server-only rule: 422 is permanent with the server problems; failed_validations unchanged', async () => {
    h = await startFlowHarness('flpub4');
    h.fleet.sim.flows.configure({ extraSyntaxRules: ['description-required'] });
    const { settled } = await publishOnce(h, { ...seedContent(), description: '' });
    expect(settled.ok).toBe(false);
    expect(settled.attempts).toBe(1);
    expect((settled.error as FleetError).code).toBe(ErrorCode.BadRequest);
    expect((settled.error as Error).message).toBe('CXone flowCreate answered 422: description: a description is required');
    expect(h.fleet.sim.stats().flows).toMatchObject({ jobsCreated: 0, status422: 1 });
    expect(await h.svc.metrics()).toMatchObject({ successful_validations: 1, failed_validations: 0, total_builds: 0 });
    expect(kindsOf(await h.flowAudit()).at(-1)).toBe('flow.create failed');
  });

  it('FL-5 a 429 on POST /api/flows, then a lost response: one CXone job (idempotency key)', async () => {
    h = await startFlowHarness('flpub5');
    h.fleet.sim.flows.configure({ throttleNextCreates: 1, dropNextCreateResponses: 1 });
    const { settled } = await publishOnce(h);
    expect(settled.ok).toBe(true);
    // 429, lost response, replay; more when the account's 429 pause outlasts a limiter wait (deferrals).
    expect(settled.attempts).toBeGreaterThanOrEqual(3);
    expect(h.fleet.sim.stats().flows).toMatchObject({ createsThrottled: 1, jobsCreated: 1, idempotentReplays: 1 });
  });

  it('a crash between POST /api/flows and completion, even with the saved job id lost, creates exactly one CXone job', async () => {
    h = await startFlowHarness('flcrash');
    const data = (await h.svc.publish(seedContent()), h.enqueued[0]!);
    const crash = new Error('worker killed');
    const killed = h.steps({
      onStep: (step) => {
        if (step === 'submit') throw crash;
      },
    });
    const first = await runAttempt(killed, data);
    expect(first).toMatchObject({ ok: false, error: crash, at: 'submit' });
    expect(h.fleet.sim.stats().flows.jobsCreated).toBe(1);
    // The worst case: the step state never reached Redis, so the job starts over at submit.
    const again = await h.settle(data, { from: 'submit', state: {} });
    expect(again.ok).toBe(true);
    expect(h.fleet.sim.stats().flows).toMatchObject({ jobsCreated: 1, idempotentReplays: 1 });
    expect((await h.svc.store.revisions('Q3 Outbound Compliance Campaign')).length).toBe(1);
  });

  it('FL-7 identical content: unchanged, no CXone job; --force: a new job and revision', async () => {
    h = await startFlowHarness('flpub7');
    await publishOnce(h);
    const same = await publishOnce(h);
    expect(same.settled.result).toMatchObject({ unchanged: true, revision: 1 });
    expect(await h.svc.publishStatus(same.accepted.publishId)).toMatchObject({ status: 'unchanged', revision: 1 });
    expect(h.fleet.sim.stats().flows.jobsCreated).toBe(1);

    const forced = await publishOnce(h, seedContent(), { force: true, message: 'again' });
    expect(forced.settled.ok).toBe(true);
    expect(h.fleet.sim.stats().flows).toMatchObject({ jobsCreated: 2, flowsByName: { 'Q3 Outbound Compliance Campaign': 2 } });
    expect((await h.svc.store.revisions('Q3 Outbound Compliance Campaign')).map((r) => r.revision)).toEqual([1, 2]);
    expect(await h.rt.metrics.registry.metrics()).toMatch(/cxone_fleet_flow_builds_total\{result="unchanged"\} 1/);
  });

  it('two publishes of the same content asked at once share one CXone job and one revision', async () => {
    h = await startFlowHarness('fltwin');
    await h.svc.publish(seedContent());
    await h.svc.publish(seedContent());
    const [a, b] = h.enqueued;
    expect(a!.baseRevision).toBe(0);
    expect(b!.baseRevision).toBe(0);
    const [ra, rb] = await Promise.all([h.settle(a!), h.settle(b!)]);
    expect(ra.ok && rb.ok).toBe(true);
    expect(h.fleet.sim.stats().flows.jobsCreated).toBe(1);
    expect((await h.svc.store.revisions('Q3 Outbound Compliance Campaign')).length).toBe(1);
    expect((await h.svc.metrics()).total_builds).toBe(1);
  });

  it('an invalid flow is refused with every problem, counted as a failed validation, and nothing is enqueued', async () => {
    h = await startFlowHarness('flbad');
    const bad = seedContent();
    bad.transitions.push({ from_node: 'collect_input', to_node: 'dsiconnect', condition: 'input=3' });
    bad.nodes = bad.nodes.filter((n) => n.type !== 'disclosure');
    const err = await h.svc.publish(bad).catch((e: unknown) => e);
    expect((err as FleetError).code).toBe(ErrorCode.FlowInvalid);
    const lines = (err as Error).message.split('\n').slice(1);
    expect(lines).toContain('transitions[5].to_node: TRANSITION_TO_MISSING transition references missing to_node: dsiconnect');
    expect(lines.some((l) => l.includes('DISCLOSURE_MISSING'))).toBe(true);
    expect(h.enqueued).toEqual([]);
    expect(await h.svc.metrics()).toMatchObject({ failed_validations: 1, successful_validations: 0 });
  });

  it('revisions, diff by name@revision, and rollback publishing an earlier content as a new revision', async () => {
    h = await startFlowHarness('flrev');
    const v1 = await publishOnce(h, seedContent(), { message: 'v1' });
    const v2flow = { ...seedContent(), description: 'second' };
    await publishOnce(h, v2flow, { message: 'v2' });
    const name = 'Q3 Outbound Compliance Campaign';
    expect((await h.svc.diff(`${name}@1`, `${name}@2`)).map((c) => c.kind)).toEqual(['field']);

    const back = await h.svc.rollback(name, 1);
    const settled = await h.settle(h.enqueued.at(-1)!);
    expect(settled.ok).toBe(true);
    const revs = await h.svc.store.revisions(name);
    expect(revs.map((r) => [r.revision, r.flowKey === v1.accepted.flowKey, r.message])).toEqual([
      [1, true, 'v1'],
      [2, false, 'v2'],
      [3, true, 'rollback to revision 1'],
    ]);
    expect(back.baseRevision).toBe(2);
    const err = await h.svc.rollback(name, 9).catch((e: unknown) => e);
    expect((err as Error).message).toContain('has no revision 9');
  });
});
