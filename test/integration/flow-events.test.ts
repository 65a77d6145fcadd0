// Flow subscriptions and events (FL-6, F-48..F-54), end to end: the subscription registered
// once with its secret by reference, flow.* events from the simulator into the fleet's
// ingress, verified with that subscription's own secret, recorded once by the flow-event
// worker, and drift: a change the fleet did not cause.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode, type FleetError } from '../../src/errors.ts';
import { createAuditLog } from '../../src/audit.ts';
import { createFlowEventRecorder, flowEvents } from '../../src/flows/events.ts';
import { flowKeys } from '../../src/flows/keys.ts';
import { subscribeOnce } from '../../src/flows/subscribe-once.ts';
import { subscriptionProblems } from '../../src/flows/subscriptions.ts';
import { flowEventPayload } from '../../src/queues/payloads.ts';
import { DEFAULT_CLIENT } from '../../src/simulator/config.ts';
import { ALL_SCOPES } from '../../src/simulator/scopes.ts';
import { dumpPrefix } from '../fixtures/email-pipeline/harness.ts';
import { seedContent, startFlowHarness, type FlowHarness } from '../fixtures/flows/publish-harness.ts';

let h: FlowHarness | undefined;
beforeEach(() => {
  // The ingress and the workers read secret references from their environment.
  vi.stubEnv('CXONE_SECRET_FLOW_EVENTS', SECRET);
});
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
  vi.unstubAllEnvs();
});

const SECRET = 'flow-events-secret-0123456789';
const PREFIXES = ['CXONE_SECRET_'];
const NAME = 'Q3 Outbound Compliance Campaign';
const WAIT = { timeout: 20_000, interval: 25 } as const;

/** The flow's first `n` events, oldest first, once the worker has recorded and audited each. */
async function eventsOf(harness: FlowHarness, flowId: string, n: number) {
  const keys = flowKeys(harness.fleet.prefix);
  await vi.waitFor(async () => {
    const events = await flowEvents(harness.rt.redis, harness.fleet.prefix, flowId);
    expect(events).toHaveLength(n);
    // An event is listed before its audit records and drift metric are written; the recorder
    // marks it audited last.
    for (const e of events) expect(await harness.rt.redis.hget(keys.event(e.eventId), 'audited')).toBe('1');
  }, WAIT);
  return (await flowEvents(harness.rt.redis, harness.fleet.prefix, flowId)).reverse();
}

describe('flow subscriptions', () => {
  it('names every bad field: URL, a variable outside the allowed prefixes, unset, too short, an unknown event type', () => {
    const env = { CXONE_SECRET_SHORT: 'short' };
    expect(subscriptionProblems({ url: 'ftp://x', secretEnv: 'REDIS_URL', eventTypes: ['flow.renamed'] }, env, PREFIXES).map((p) => p.path)).toEqual(['url', 'secretEnv', 'eventTypes[0]']);
    expect(subscriptionProblems({ url: 'https://qa.example.com/hook', secretEnv: 'CXONE_SECRET_NONE' }, env, PREFIXES)).toEqual([{ path: 'secretEnv', message: 'CXONE_SECRET_NONE is not set' }]);
    expect(subscriptionProblems({ url: 'https://qa.example.com/hook', secretEnv: 'CXONE_SECRET_SHORT' }, env, PREFIXES)[0]!.message).toContain('fewer than 16');
  });

  it('FL-6 registers once (409 = already there); the ingress takes events signed with its secret; an edit and a deletion elsewhere are drift; the secret is stored nowhere', async () => {
    h = await startFlowHarness('flev', { ingress: true });
    const url = `${h.ingressUrl!}/webhooks/flows/events`;
    const first = await subscribeOnce(h.rt, { url, secretEnv: 'CXONE_SECRET_FLOW_EVENTS' });
    expect(first).toMatchObject({ created: true, eventTypes: ['flow.created', 'flow.deleted', 'flow.updated'], secretEnv: 'CXONE_SECRET_FLOW_EVENTS' });
    const again = await subscribeOnce(h.rt, { url, secretEnv: 'CXONE_SECRET_FLOW_EVENTS' });
    expect(again).toMatchObject({ created: false, id: first.id });
    expect(h.fleet.sim.stats().flows).toMatchObject({ subscriptions: 1, subscriptionConflicts: 1 });
    expect(await h.svc.subscriptions.list()).toHaveLength(1);

    // The fleet's publish: its flow.created names the job the fleet submitted, so no drift.
    const { publishId } = await h.svc.publish(seedContent());
    expect((await h.settle(publishId)).status).toBe('completed');
    const flowId = (await h.svc.store.head(NAME))!.cxoneFlowId;
    const [created] = await eventsOf(h, flowId, 1);
    expect(created).toMatchObject({ eventType: 'flow.created', flowId, drift: false, subscriptionId: first.id, name: NAME });

    // Someone edits it in CXone, then deletes it: both are drift.
    h.fleet.sim.flows.updateFlow(flowId);
    await eventsOf(h, flowId, 2);
    h.fleet.sim.flows.deleteFlow(flowId);
    const all = await eventsOf(h, flowId, 3);
    expect(all.map((e) => [e.eventType, e.drift])).toEqual([
      ['flow.created', false],
      ['flow.updated', true],
      ['flow.deleted', true],
    ]);
    const drift = (await h.flowAudit()).filter((r) => r.kind === 'flow.drift');
    expect(drift.map((r) => r.status)).toEqual(['flow.updated', 'flow.deleted']);
    expect(drift[0]!.details?.reason).toBe('updated without a job: not a publish');
    expect(await h.workerRt!.metrics.registry.metrics()).toMatch(/cxone_fleet_flow_drift_total\{type="flow.deleted"\} 1/);

    // Processed again (a retried job), the event is recorded and audited once.
    const recorder = createFlowEventRecorder({ redis: h.rt.redis, prefix: h.fleet.prefix, store: h.svc.store, audit: createAuditLog({ redis: h.rt.redis, prefix: h.fleet.prefix }), accountId: 'default' });
    const dup = await recorder(flowEventPayload.parse({ eventId: all[2]!.eventId, eventType: 'flow.deleted', flowId, timestamp: all[2]!.timestamp, accountId: 'default', receivedAt: Date.now() }));
    expect(dup.duplicate).toBe(true);
    expect((await h.flowAudit()).filter((r) => r.kind === 'flow.drift')).toHaveLength(2);

    const everything = await dumpPrefix(h.rt, h.fleet.prefix);
    expect(everything).toContain('CXONE_SECRET_FLOW_EVENTS');
    expect(everything).not.toContain(SECRET);
  });

  it('a delivery signed with a secret no registered subscription has is refused with 401', async () => {
    h = await startFlowHarness('flev2', { ingress: true });
    const url = `${h.ingressUrl!}/webhooks/flows/events`;
    await subscribeOnce(h.rt, { url, secretEnv: 'CXONE_SECRET_FLOW_EVENTS', eventTypes: ['flow.updated'] });
    // Another subscription to the same URL that the fleet did not register: its secret is unknown here.
    await h.rt.cxone.client.request('eventSubscriptionCreate', { body: { url, event_types: ['flow.created'], secret: 'a-secret-the-fleet-never-saw' } });
    h.fleet.sim.flows.configure({ events: { maxAttempts: 1 } });
    const { publishId } = await h.svc.publish(seedContent());
    expect((await h.settle(publishId)).status).toBe('completed');
    await vi.waitFor(() => expect(h!.fleet.sim.stats().flows.eventsFailed).toBe(1), WAIT);
    expect(h.fleet.sim.stats().flows.eventsSent).toEqual({});
    const flowId = (await h.svc.store.head(NAME))!.cxoneFlowId;
    expect(await flowEvents(h.rt.redis, h.fleet.prefix, flowId)).toEqual([]);
  });

  it('a subscription CXone refuses after a publish is a warning on the publish, not a failure (F-54)', async () => {
    h = await startFlowHarness('flev3', {
      env: { FLOW_WEBHOOK_URL: 'https://qa.example.com/hook', FLOW_WEBHOOK_SECRET_ENV: 'CXONE_SECRET_FLOW_EVENTS' },
      sim: { clients: [{ ...DEFAULT_CLIENT, scopes: ALL_SCOPES.filter((x) => x !== 'events:write') }] },
    });
    const { publishId } = await h.svc.publish(seedContent());
    const record = await h.settle(publishId);
    expect(record.status).toBe('completed');
    expect(record.warning).toBe('subscription for https://qa.example.com/hook not registered: CXone eventSubscriptionCreate answered 403 (missing scope events:write)');
    expect((await h.flowAudit()).find((r) => r.kind === 'flow.webhook')).toMatchObject({ status: 'failed', errorCode: ErrorCode.CxoneForbidden });

    const err = await subscribeOnce(h.rt, { url: 'https://qa.example.com/hook', secretEnv: 'CXONE_SECRET_FLOW_EVENTS' }).catch((e: unknown) => e);
    expect((err as FleetError).code).toBe(ErrorCode.CxoneForbidden);
    expect(await h.svc.subscriptions.list()).toEqual([]);
  });

  it('the configured subscription is registered by the first publish, once', async () => {
    h = await startFlowHarness('flev4', { env: { FLOW_WEBHOOK_URL: 'https://qa.example.com/hook', FLOW_WEBHOOK_SECRET_ENV: 'CXONE_SECRET_FLOW_EVENTS' } });
    await h.settle((await h.svc.publish(seedContent())).publishId);
    await h.settle((await h.svc.publish({ ...seedContent(), description: 'v2' })).publishId);
    expect(h.fleet.sim.stats().flows).toMatchObject({ subscriptions: 1, subscriptionConflicts: 0 });
    expect((await h.flowAudit()).filter((r) => r.kind === 'flow.webhook').map((r) => r.status)).toEqual(['registered']);
  });
});
