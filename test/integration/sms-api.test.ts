// The SMS door of the control API: same validation as the CLI, per-row reasons, and an
// Idempotency-Key that makes a retried request return the first answer.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startFleetIngress } from '../../src/fleet-ingress.ts';
import { createIdempotencyStore } from '../../src/ingress/api/idempotency.ts';
import { createLogger } from '../../src/logger.ts';
import { createSmsServices } from '../../src/sms/services.ts';
import { startTestFleet, type TestFleet } from '../helpers/fleet.ts';
import { waitingMessages } from '../helpers/sms-fleet.ts';
import { startSendWorkers, useProcesses } from '../helpers/sms-processes.ts';

let fleet: TestFleet | undefined;
let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  await fleet?.cleanup();
  fleet = undefined;
});
// After hooks run last registered first: the worker processes are gone before the keys are
// cleaned, so none writes one back.
useProcesses();

describe('SMS control API', () => {
  it('accepts a batch, reports bad messages per row, and replays the first answer for a retried key', async () => {
    fleet = await startTestFleet({ label: 'api', env: { ADMIN_TOKEN: 'test-token' } });
    const ingress = await startFleetIngress(fleet.config, createLogger({ level: 'silent' }), { port: 0 });
    stop = () => ingress.shutdown();
    const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      fetch(`${ingress.url}/api${path}`, {
        method,
        headers: { authorization: 'Bearer test-token', 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    expect((await call('POST', '/sms/consent', { optIn: ['+14152000001', '4152000002', 'nope'] })).status).toBe(200);
    const batch = {
      batchId: 'api-b1',
      defaults: { from: 'ACME', campaignId: 'c1' },
      messages: [{ to: '+14152000001', text: 'hi' }, { to: '+14152000002', text: 'hi' }, { to: '+1', text: 'hi' }],
    };
    const first = await call('POST', '/sms/batches', batch, { 'idempotency-key': 'k-1' });
    expect(first.status).toBe(202);
    const body = (await first.json()) as { accepted: number; rejected: number; rejections: { row: number }[] };
    expect(body).toMatchObject({ accepted: 2, rejected: 1 });
    expect(body.rejections.map((r) => r.row)).toEqual([3]);

    const retried = await call('POST', '/sms/batches', batch, { 'idempotency-key': 'k-1' });
    expect(retried.status).toBe(202);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect(await retried.json()).toEqual(body);
    expect((await waitingMessages(fleet.runtime().queues.get('smsSend'))).sort()).toEqual(['api-b1.1', 'api-b1.2']);

    const got = await call('GET', '/sms/batches/api-b1');
    expect(((await got.json()) as { accepted: number }).accepted).toBe(2);
    expect((await call('GET', '/sms/messages/api-b1.1')).status).toBe(200);
    expect((await call('GET', '/sms/messages/none')).status).toBe(404);
    const bad = await call('POST', '/sms/batches', { messages: [] });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('messages');
    expect((await fetch(`${ingress.url}/api/sms/batches/api-b1`)).status).toBe(401);
  });

  it('a body posted twice without Idempotency-Key is one batch: 20 sends, not 40', async () => {
    fleet = await startTestFleet({ label: 'api-replay', env: { ADMIN_TOKEN: 'test-token' } });
    const ingress = await startFleetIngress(fleet.config, createLogger({ level: 'silent' }), { port: 0 });
    stop = () => ingress.shutdown();
    const post = async (body: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(`${ingress.url}/api/sms/batches`, {
        method: 'POST',
        headers: { authorization: 'Bearer test-token', 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(202);
      return (await res.json()) as { batchId: string; accepted: number; resumed: number; rejected: number; rejections: { row: number; reasons: { message: string }[] }[] };
    };
    const numbers = Array.from({ length: 20 }, (_, i) => `+1415${2_100_000 + i}`);
    const runtime = fleet.runtime();
    const sms = createSmsServices(runtime);
    await sms.consent.optIn(numbers);
    startSendWorkers(fleet.env);

    const body = { defaults: { from: 'ACME', campaignId: 'c1' }, messages: numbers.map((to) => ({ to, text: 'Your appointment is tomorrow at 10' })) };
    const first = await post(body);
    expect(first).toMatchObject({ batchId: expect.stringMatching(/^api-h[0-9a-f]{32}$/), accepted: 20, resumed: 0 });
    // The same body with its keys in another order: the client's retry after a lost answer.
    const retried = await post({ messages: body.messages, defaults: { campaignId: 'c1', from: 'ACME' } });
    expect(retried).toMatchObject({ batchId: first.batchId, accepted: 0, resumed: 20, rejected: 0 });

    await vi.waitFor(
      async () => {
        const b = await sms.store.getBatch(first.batchId);
        if (b?.counts.dispatched !== 20) throw new Error(JSON.stringify(b?.counts));
      },
      { timeout: 60_000, interval: 100 },
    );
    // A job is marked completed just after its message is recorded dispatched.
    const queue = runtime.queues.get('smsSend');
    await vi.waitFor(async () => expect(await queue.getJobCountByTypes('waiting', 'prioritized', 'delayed', 'active')).toBe(0), { timeout: 30_000, interval: 100 });
    const s = fleet.sim.stats().sms;
    expect(s.accepted).toBe(20);
    expect(s.repeatedRecipients).toBe(0);

    // A new key asks for a new batch on purpose; the duplicate window still names each
    // message that already went out, row by row.
    const keyed = await post(body, { 'idempotency-key': 'send-again-1' });
    expect(keyed).toMatchObject({ accepted: 0, rejected: 20 });
    expect(keyed.batchId).not.toBe(first.batchId);
    expect(keyed.rejections[4]).toMatchObject({ row: 5, reasons: [{ message: expect.stringMatching(new RegExp(`^duplicate of ${first.batchId}/5 `)) }] });
    expect(fleet.sim.stats().sms.accepted).toBe(20);

    // A keyed request whose answer was never stored (the ingress died after the intake, as
    // releasing the key here leaves it): the retry with the key is the same batch, sends nothing new.
    const more = Array.from({ length: 5 }, (_, i) => `+1415${2_200_000 + i}`);
    await sms.consent.optIn(more);
    const moreBody = { defaults: { from: 'ACME', campaignId: 'c1' }, messages: more.map((to) => ({ to, text: 'Your appointment moved to 11' })) };
    const once = await post(moreBody, { 'idempotency-key': 'lost-answer-1' });
    expect(once).toMatchObject({ batchId: expect.stringMatching(/^api-k[0-9a-f]{32}$/), accepted: 5 });
    await createIdempotencyStore({ redis: runtime.redis, prefix: fleet.prefix }).release('lost-answer-1');
    const again = await post(moreBody, { 'idempotency-key': 'lost-answer-1' });
    expect(again).toMatchObject({ batchId: once.batchId, accepted: 0, resumed: 5, rejected: 0 });
    await vi.waitFor(async () => expect((await sms.store.getBatch(once.batchId))?.counts.dispatched).toBe(5), { timeout: 60_000, interval: 100 });
    await vi.waitFor(async () => expect(await queue.getJobCountByTypes('waiting', 'prioritized', 'delayed', 'active')).toBe(0), { timeout: 30_000, interval: 100 });
    expect(fleet.sim.stats().sms.accepted).toBe(25);
  }, 120_000);
});
