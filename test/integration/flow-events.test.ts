// Flow subscriptions and events (FL-6, F-48..F-54): the subscription registered once with
// its secret by reference, flow.* events from the simulator verified with that
// subscription's own secret and recorded once, and drift: a change the fleet did not cause.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FleetError } from '../../src/errors.ts';
import { ErrorCode } from '../../src/errors.ts';
import { createFlowEventRecorder, flowEvents, type RecordedEvent } from '../../src/flows/events.ts';
import { createFlowMetrics } from '../../src/flows/flow-metrics.ts';
import { flowEventPayload } from '../../src/flows/payloads.ts';
import { registerSubscription, subscriptionProblems, verifyFlowEvent, type SubscriptionDeps } from '../../src/flows/subscriptions.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../src/webhook-signature.ts';
import { DEFAULT_CLIENT } from '../../src/simulator/config.ts';
import { ALL_SCOPES } from '../../src/simulator/scopes.ts';
import { dumpPrefix } from '../fixtures/email-pipeline/harness.ts';
import { seedContent, startFlowHarness, type FlowHarness } from '../fixtures/flows/publish-harness.ts';

let h: FlowHarness | undefined;
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await h?.cleanup();
  h = undefined;
});

const SECRET = 'flow-events-secret-0123456789';
const ENV = { CXONE_SECRET_FLOW_EVENTS: SECRET, CXONE_SECRET_OTHER: 'another-secret-abcdefghij' };
const PREFIXES = ['CXONE_SECRET_'];

/** Stands where the ingress stands: verifies each delivery with the subscriptions' secrets, then records it. */
async function eventDoor(harness: FlowHarness) {
  const recorder = createFlowEventRecorder({
    redis: harness.rt.redis,
    prefix: harness.fleet.prefix,
    store: harness.svc.store,
    audit: harness.svc.audit,
    accountId: harness.fleet.config.cxone.accountId,
    metrics: createFlowMetrics(harness.rt.metrics.registry),
  });
  const recorded: RecordedEvent[] = [];
  const refused: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const raw = Buffer.concat(chunks);
        const verdict = verifyFlowEvent({
          subscriptions: await harness.svc.subscriptions.list(),
          env: ENV,
          timestampHeader: req.headers[TIMESTAMP_HEADER] as string,
          signatureHeader: req.headers[SIGNATURE_HEADER] as string,
          rawBody: raw,
          toleranceS: 300,
        });
        if (!verdict.ok) {
          refused.push(verdict.reason);
          res.statusCode = 401;
          return void res.end();
        }
        const body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
        const data = flowEventPayload.parse({ ...body, accountId: 'default', receivedAt: Date.now(), subscriptionId: verdict.subscriptionId });
        recorded.push(await recorder(data));
        res.end('ok');
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/flows/events`, recorded, refused, recorder };
}

const subDeps = (harness: FlowHarness): SubscriptionDeps => ({ client: harness.rt.cxone.client, store: harness.svc.subscriptions, env: ENV, prefixes: PREFIXES });

describe('flow subscriptions', () => {
  it('names every bad field: URL, a variable outside the allowed prefixes, unset, too short, an unknown event type', () => {
    const env = { CXONE_SECRET_SHORT: 'short' };
    expect(subscriptionProblems({ url: 'ftp://x', secretEnv: 'REDIS_URL', eventTypes: ['flow.renamed'] }, env, PREFIXES).map((p) => p.path)).toEqual(['url', 'secretEnv', 'eventTypes[0]']);
    expect(subscriptionProblems({ url: 'https://qa.example.com/hook', secretEnv: 'CXONE_SECRET_NONE' }, env, PREFIXES)).toEqual([{ path: 'secretEnv', message: 'CXONE_SECRET_NONE is not set' }]);
    expect(subscriptionProblems({ url: 'https://qa.example.com/hook', secretEnv: 'CXONE_SECRET_SHORT' }, env, PREFIXES)[0]!.message).toContain('fewer than 16');
  });

  it('FL-6 registers once (409 = already there); events signed with its secret are recorded; a deletion is drift; the secret is stored nowhere', async () => {
    h = await startFlowHarness('flev');
    const door = await eventDoor(h);
    const first = await registerSubscription(subDeps(h), { url: door.url, secretEnv: 'CXONE_SECRET_FLOW_EVENTS' });
    expect(first).toMatchObject({ created: true, eventTypes: ['flow.created', 'flow.deleted', 'flow.updated'], secretEnv: 'CXONE_SECRET_FLOW_EVENTS' });
    const again = await registerSubscription(subDeps(h), { url: door.url, secretEnv: 'CXONE_SECRET_FLOW_EVENTS' });
    expect(again).toMatchObject({ created: false, id: first.id });
    expect(h.fleet.sim.stats().flows).toMatchObject({ subscriptions: 1, subscriptionConflicts: 1 });
    expect(await h.svc.subscriptions.list()).toHaveLength(1);

    // The fleet's publish: flow.created carries the job the fleet submitted, so no drift.
    await h.svc.publish(seedContent());
    expect((await h.settle(h.enqueued[0]!)).ok).toBe(true);
    await vi.waitFor(() => expect(door.recorded).toHaveLength(1), { timeout: 10_000, interval: 20 });
    const flowId = (await h.svc.store.head('Q3 Outbound Compliance Campaign'))!.cxoneFlowId;
    expect(door.recorded[0]).toMatchObject({ eventType: 'flow.created', flowId, drift: false, subscriptionId: first.id, name: 'Q3 Outbound Compliance Campaign' });

    // Someone edits it in CXone, then deletes it: both are drift.
    h.fleet.sim.flows.updateFlow(flowId);
    h.fleet.sim.flows.deleteFlow(flowId);
    await vi.waitFor(() => expect(door.recorded).toHaveLength(3), { timeout: 10_000, interval: 20 });
    expect(door.recorded.slice(1).map((e) => [e.eventType, e.drift])).toEqual([
      ['flow.updated', true],
      ['flow.deleted', true],
    ]);
    const audit = (await h.flowAudit()).filter((r) => r.kind === 'flow.drift');
    expect(audit.map((r) => r.status)).toEqual(['flow.updated', 'flow.deleted']);
    expect(audit[0]!.details?.reason).toBe('updated without a job: not a publish');
    expect(await h.rt.metrics.registry.metrics()).toMatch(/cxone_fleet_flow_drift_total\{type="flow.deleted"\} 1/);
    expect((await flowEvents(h.rt.redis, h.fleet.prefix, flowId)).map((e) => e.eventType)).toEqual(['flow.deleted', 'flow.updated', 'flow.created']);

    // A redelivered event is recorded and audited once.
    const dup = await door.recorder(flowEventPayload.parse({ eventId: door.recorded[2]!.eventId, eventType: 'flow.deleted', flowId, timestamp: new Date().toISOString(), accountId: 'default', receivedAt: Date.now() }));
    expect(dup.duplicate).toBe(true);
    expect((await h.flowAudit()).filter((r) => r.kind === 'flow.drift')).toHaveLength(2);

    const everything = await dumpPrefix(h.rt, h.fleet.prefix);
    expect(everything).toContain('CXONE_SECRET_FLOW_EVENTS');
    expect(everything).not.toContain(SECRET);
  });

  it('an event signed with another secret is refused; a subscription failure after a publish is a warning, not a failure', async () => {
    h = await startFlowHarness('flev2');
    const door = await eventDoor(h);
    await registerSubscription(subDeps(h), { url: door.url, secretEnv: 'CXONE_SECRET_FLOW_EVENTS' });
    // A second subscription that the door's records do not know: its deliveries do not verify.
    await h.rt.cxone.client.request('eventSubscriptionCreate', { body: { url: door.url, event_types: ['flow.created'], secret: 'not-the-registered-secret' } });
    await h.svc.publish(seedContent());
    // The publish registers the configured subscription; the simulator refuses it (unknown scheme).
    const settled = await h.settle(h.enqueued[0]!, {
      extra: { subscription: { url: 'mailto:qa@example.com', secretEnv: 'CXONE_SECRET_FLOW_EVENTS', deps: { store: h.svc.subscriptions, env: ENV, prefixes: PREFIXES } } },
    });
    expect(settled.ok).toBe(true);
    const status = (await h.svc.publishStatus(h.enqueued[0]!.publishId))!;
    expect(status.status).toBe('completed');
    expect(status.warning).toContain('subscription for mailto:qa@example.com not registered: subscription is invalid: url:');
    expect((await h.flowAudit()).find((r) => r.kind === 'flow.webhook')).toMatchObject({ status: 'failed', errorCode: ErrorCode.Validation });
    await vi.waitFor(() => expect(door.recorded.length + door.refused.length).toBe(2), { timeout: 10_000, interval: 20 });
    expect(door.recorded).toHaveLength(1);
    expect(door.refused).toEqual(['mismatch']);
  });

  it('a registration CXone refuses is an error naming the status and the missing scope', async () => {
    h = await startFlowHarness('flev3', {}, { clients: [{ ...DEFAULT_CLIENT, scopes: ALL_SCOPES.filter((x) => x !== 'events:write') }] });
    const err = await registerSubscription(subDeps(h), { url: 'https://qa.example.com/hook', secretEnv: 'CXONE_SECRET_FLOW_EVENTS' }).catch((e: unknown) => e);
    expect((err as FleetError).code).toBe(ErrorCode.Forbidden);
    expect((err as Error).message).toBe('CXone eventSubscriptionCreate answered 403 (missing scope events:write)');
    expect(await h.svc.subscriptions.list()).toEqual([]);
  });
});
