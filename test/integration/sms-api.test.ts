// The SMS door of the control API: same validation as the CLI, per-row reasons, and an
// Idempotency-Key that makes a retried request return the first answer.
import { afterEach, describe, expect, it } from 'vitest';
import { startFleetIngress } from '../../src/fleet-ingress.ts';
import { createLogger } from '../../src/logger.ts';
import { startTestFleet, type TestFleet } from '../helpers/fleet.ts';

let fleet: TestFleet | undefined;
let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  await fleet?.cleanup();
  fleet = undefined;
});

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
    const queued = await fleet.runtime().queues.get('smsSend').getJobCounts('prioritized', 'waiting');
    expect(queued.prioritized! + queued.waiting!).toBe(2);

    const got = await call('GET', '/sms/batches/api-b1');
    expect(((await got.json()) as { accepted: number }).accepted).toBe(2);
    expect((await call('GET', '/sms/messages/api-b1.1')).status).toBe(200);
    expect((await call('GET', '/sms/messages/none')).status).toBe(404);
    const bad = await call('POST', '/sms/batches', { messages: [] });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('messages');
    expect((await fetch(`${ingress.url}/api/sms/batches/api-b1`)).status).toBe(401);
  });
});
