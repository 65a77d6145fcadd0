// The flows door of the control API over HTTP: validate and simulate (pure), publish (422
// with every problem and nothing enqueued; 202 and a publish that the workers complete),
// the publish's status and the flow's revisions, the subscription (secret by reference
// only), all in the OpenAPI document.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFleetClient } from '../../src/index.ts';
import { seedContent, startFlowHarness, type FlowHarness } from '../fixtures/flows/publish-harness.ts';

let h: FlowHarness;
beforeAll(async () => {
  vi.stubEnv('CXONE_SECRET_FLOW_EVENTS', 'api-flow-events-secret-0123');
  h = await startFlowHarness('flapi', { ingress: true, env: { ADMIN_TOKEN: 'flow-api-token' } });
});
afterAll(async () => {
  await h.cleanup();
  vi.unstubAllEnvs();
});

type Obj = Record<string, unknown>;
async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Obj }> {
  const res = await fetch(h.ingressUrl! + path, { method, headers: { authorization: 'Bearer flow-api-token', 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, body: (await res.json()) as Obj };
}

const NAME = 'Q3 Outbound Compliance Campaign';

describe('flows control API', () => {
  it('POST /api/flows/validate answers every problem with its path, the depth and the path count', async () => {
    const ok = await call('POST', '/api/flows/validate', { flow: seedContent() });
    expect(ok).toMatchObject({ status: 200, body: { valid: true, errors: 0, depth: 3, paths: '3', problems: [] } });
    const bad = seedContent();
    bad.nodes[2]!.actions[0]!.max_retries = 4;
    bad.transitions[0]!.to_node = 'nowhere';
    const r = await call('POST', '/api/flows/validate', { flow: bad });
    expect(r.status).toBe(200);
    expect((r.body.problems as Obj[]).filter((p) => p.severity === 'error').map((p) => `${p.path as string}: ${p.code as string}`)).toEqual(
      expect.arrayContaining(['nodes[2].actions[0].max_retries: RETRIES_EXCEEDED', 'transitions[0].to_node: TRANSITION_TO_MISSING']),
    );
    expect((await call('POST', '/api/flows/validate', { flow: 'no' })).status).toBe(400);
  });

  it('POST /api/flows/simulate walks the flow; a flow with errors is a 422', async () => {
    const r = await call('POST', '/api/flows/simulate', { flow: seedContent(), inputs: ['2'] });
    expect(r.status).toBe(200);
    expect(r.body.walk).toMatchObject({ ok: true, terminal: { id: 'schedule_callback', type: 'callback' } });
    const bad = { ...seedContent(), entry_node: 'x' };
    expect(await call('POST', '/api/flows/simulate', { flow: bad, inputs: [] })).toMatchObject({ status: 422, body: { error: { code: 'FLOW_INVALID' } } });
  });

  it('POST /api/flows: 422 with every problem and nothing enqueued; else 202, and the publish completes', async () => {
    const bad = seedContent();
    bad.nodes = bad.nodes.filter((n) => n.type !== 'disclosure');
    const refused = await call('POST', '/api/flows', { flow: bad });
    expect(refused.status).toBe(422);
    const err = refused.body.error as { code: string; message: string; details: { problems: Obj[] } };
    expect(err.code).toBe('FLOW_INVALID');
    expect(err.details.problems.map((p) => p.code)).toEqual(expect.arrayContaining(['DISCLOSURE_MISSING', 'TRANSITION_TO_MISSING', 'UNREACHABLE']));
    expect(await h.rt.queues.get('flowPublish').getJobCounts('waiting', 'delayed', 'active', 'completed')).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 0 });

    const accepted = await call('POST', '/api/flows', { flow: seedContent(), message: 'from the API' });
    expect(accepted.status).toBe(202);
    const publishId = accepted.body.publishId as string;
    expect(accepted.body).toMatchObject({ name: NAME, status: 'queued', statusUrl: `/api/flows/publishes/${publishId}` });
    await h.settle(publishId);
    const status = await call('GET', `/api/flows/publishes/${publishId}`);
    expect(status).toMatchObject({ status: 200, body: { status: 'completed', revision: 1, message: 'from the API' } });
    const flow = await call('GET', `/api/flows/${encodeURIComponent(NAME)}`);
    expect(flow).toMatchObject({ status: 200, body: { head: { name: NAME, latestRevision: 1 }, revisions: [{ revision: 1, message: 'from the API' }] } });
    expect((await call('GET', '/api/flows/publishes/nope')).status).toBe(404);
    expect((await call('GET', '/api/flows/nope')).status).toBe(404);
  });

  it('POST /api/flows/subscriptions refuses an inline secret; by reference it registers once', async () => {
    const inline = await call('POST', '/api/flows/subscriptions', { url: 'https://qa.example.com/hook', secret: 'plain-text-secret-here' });
    expect(inline).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION', message: 'invalid body: secret: secrets are not accepted over HTTP; use secretEnv' } } });
    const body = { url: 'https://qa.example.com/hook', secretEnv: 'CXONE_SECRET_FLOW_EVENTS' };
    expect(await call('POST', '/api/flows/subscriptions', body)).toMatchObject({ status: 201, body: { created: true, secretEnv: 'CXONE_SECRET_FLOW_EVENTS' } });
    expect(await call('POST', '/api/flows/subscriptions', body)).toMatchObject({ status: 200, body: { created: false } });
    const unset = await call('POST', '/api/flows/subscriptions', { ...body, secretEnv: 'CXONE_SECRET_MISSING' });
    expect(unset).toMatchObject({ status: 400, body: { error: { message: 'subscription is invalid: secretEnv: CXONE_SECRET_MISSING is not set' } } });
    expect(h.fleet.sim.stats().flows.subscriptions).toBe(1);
  });

  it('every flows route and the webhook are in the OpenAPI document', async () => {
    const doc = (await call('GET', '/api/openapi.json')).body as { paths: Record<string, Obj> };
    for (const p of ['/api/flows/validate', '/api/flows/simulate', '/api/flows', '/api/flows/publishes/{id}', '/api/flows/{name}', '/api/flows/subscriptions', '/webhooks/flows/events']) {
      expect(doc.paths, p).toHaveProperty([p]);
    }
  });

  it('the library door: validate, publish, follow the steps to the flow id, revisions and metrics', async () => {
    const fleet = createFleetClient({ env: h.fleet.env });
    try {
      expect(fleet.flows.validate({ ...seedContent(), entry_node: 'x' }).problems.map((p) => p.code)).toContain('ENTRY_MISSING');
      const accepted = await fleet.flows.publish({ ...seedContent(), description: 'from the library' }, { message: 'lib' });
      const steps: string[] = [];
      const done = await fleet.flows.waitForPublish(accepted.publishId, { onStep: (l) => steps.push(l.step), timeoutMs: 60_000 });
      expect(done).toMatchObject({ status: 'completed', message: 'lib' });
      expect(steps).toEqual(['queued', 'validate', 'submit', 'poll', 'poll', 'persist', 'done']);
      expect((await fleet.flows.revisions(NAME)).at(-1)).toMatchObject({ message: 'lib', cxoneFlowId: done.cxoneFlowId });
      expect((await fleet.flows.metrics()).total_builds).toBeGreaterThanOrEqual(1);
    } finally {
      await fleet.close();
    }
  });
});
