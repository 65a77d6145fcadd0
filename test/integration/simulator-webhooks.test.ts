// Delivery-status webhooks: a local receiver resolves promises as events arrive, so no
// test sleeps; signatures are checked with the same verifier the ingress uses.
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_ENDPOINTS } from '../../src/cxone/endpoints.ts';
import { startSimulator } from '../../src/simulator/server.ts';
import type { RunningSimulator, SimulatorOptions } from '../../src/simulator/server.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from '../../src/webhook-signature.ts';
import { simToken } from '../helpers/simulator.ts';

const SECRET = 'whsec-test';
const SMS = { to: ['+15551230001', '+15551230002'], from: '+15550000000', text: 'hello', campaignId: 'camp-1' };

interface Received {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  json: Record<string, unknown>;
}

interface Receiver {
  url: string;
  received: Received[];
  waitFor(n: number): Promise<Received[]>;
  close(): Promise<void>;
}

/** Answers each webhook with statusFor(1-based arrival number). */
async function startReceiver(statusFor: (n: number) => number = () => 200): Promise<Receiver> {
  const received: Received[] = [];
  const waiters: Array<{ n: number; resolve: (r: Received[]) => void }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      received.push({ headers: req.headers, raw, json: JSON.parse(raw.toString('utf8')) as Record<string, unknown> });
      res.writeHead(statusFor(received.length)).end();
      for (const w of waiters.filter((x) => received.length >= x.n)) w.resolve(received.slice());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/cxone/sms`,
    received,
    waitFor: (n) =>
      received.length >= n ? Promise.resolve(received.slice()) : new Promise((resolve) => waiters.push({ n, resolve })),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(opts: SimulatorOptions): Promise<RunningSimulator> {
  const sim = await startSimulator(opts);
  cleanups.push(() => sim.close());
  return sim;
}

async function receiver(statusFor?: (n: number) => number): Promise<Receiver> {
  const r = await startReceiver(statusFor);
  cleanups.push(() => r.close());
  return r;
}

async function send(s: RunningSimulator, body: unknown = SMS): Promise<string> {
  const tokenRes = await fetch(s.url + DEFAULT_ENDPOINTS.token.path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret',
  });
  const { access_token } = (await tokenRes.json()) as { access_token: string };
  const res = await fetch(s.url + DEFAULT_ENDPOINTS.smsSend.path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${access_token}` },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

describe('simulator delivery webhooks', () => {
  it('posts one signed delivery status per recipient', async () => {
    const rx = await receiver();
    const s = await start({ webhooks: { url: rx.url, secret: SECRET, mix: { delivered: 1 }, delayMs: 0 } });
    const id = await send(s);
    const events = await rx.waitFor(2);

    for (const e of events) {
      const verdict = verifySignature({
        secrets: [SECRET],
        timestampHeader: e.headers[TIMESTAMP_HEADER] as string,
        signatureHeader: e.headers[SIGNATURE_HEADER] as string,
        rawBody: e.raw,
        toleranceS: 300,
      });
      expect(verdict).toEqual({ ok: true });
      expect(e.json).toMatchObject({ messageId: id, status: 'delivered' });
      expect(e.json).not.toHaveProperty('error');
      expect(Number.isNaN(Date.parse(e.json.timestamp as string))).toBe(false);
    }
    expect(events.map((e) => e.json.to).sort()).toEqual(SMS.to);
    expect(new Set(events.map((e) => e.json.eventId)).size).toBe(2);
    await vi.waitFor(() => expect(s.stats().webhooks).toMatchObject({ scheduled: 2, sent: 2, failed: 0, pending: 0 }));
    expect(s.stats().sms.finalStatuses).toEqual({ delivered: 2 });
  });

  it("sends 'sent' before the final status and attaches an error to undelivered", async () => {
    const rx = await receiver();
    const s = await start({
      webhooks: { url: rx.url, secret: SECRET, mix: { undelivered: 1 }, intermediateSent: true, delayMs: 0 },
    });
    await send(s, { ...SMS, to: ['+15551230009'] });
    const [first, second] = await rx.waitFor(2);
    expect(first?.json.status).toBe('sent');
    expect(first?.json).not.toHaveProperty('error');
    expect(second?.json).toMatchObject({ status: 'undelivered', error: { code: expect.any(String), message: expect.any(String) } });
  });

  it("prefers the body's webhookUrl over the configured one", async () => {
    const configured = await receiver();
    const fromBody = await receiver();
    const s = await start({ webhooks: { url: configured.url, secret: SECRET, delayMs: 0 } });
    await send(s, { ...SMS, to: ['+15551230003'], webhookUrl: fromBody.url });
    const [event] = await fromBody.waitFor(1);
    expect(event?.headers[SIGNATURE_HEADER]).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(configured.received).toHaveLength(0);
  });

  it('sends unsigned to a body webhookUrl when no webhook secret is configured', async () => {
    const rx = await receiver();
    const s = await start({});
    await send(s, { ...SMS, to: ['+15551230004'], webhookUrl: rx.url });
    const [event] = await rx.waitFor(1);
    expect(event?.headers[SIGNATURE_HEADER]).toBeUndefined();
    expect(event?.json.status).toMatch(/^(delivered|undelivered)$/);
  });

  it('retries a failing receiver with the same event and counts the retries', async () => {
    const rx = await receiver((n) => (n <= 2 ? 503 : 200));
    const s = await start({
      webhooks: { url: rx.url, secret: SECRET, delayMs: 0, maxAttempts: 3, retryDelayMs: 1 },
    });
    await send(s, { ...SMS, to: ['+15551230005'] });
    const attempts = await rx.waitFor(3);
    expect(new Set(attempts.map((a) => a.json.eventId)).size).toBe(1);
    await vi.waitFor(() => expect(s.stats().webhooks).toMatchObject({ sent: 1, retried: 2, failed: 0, pending: 0 }));
  });

  it('counts a webhook as failed after the last attempt, without crashing', async () => {
    const rx = await receiver(() => 500);
    const s = await start({ webhooks: { url: rx.url, secret: SECRET, delayMs: 0, maxAttempts: 2, retryDelayMs: 1 } });
    await send(s, { ...SMS, to: ['+15551230006'] });
    await rx.waitFor(2);
    await vi.waitFor(() => expect(s.stats().webhooks).toMatchObject({ sent: 0, failed: 1, retried: 1, pending: 0 }));
    // An unreachable receiver fails the same way.
    await rx.close();
    await send(s, { ...SMS, to: ['+15551230007'] });
    await vi.waitFor(() => expect(s.stats().webhooks.failed).toBe(2));
  });

  it('cancels pending webhooks on reset and on close', async () => {
    const rx = await receiver();
    const s = await start({ webhooks: { url: rx.url, secret: SECRET, delayMs: 600_000 } });
    await send(s);
    expect(s.stats().webhooks).toMatchObject({ scheduled: 2, pending: 2 });
    s.reset();
    expect(s.stats().webhooks).toMatchObject({ scheduled: 0, pending: 0 });
    await send(s);
    await s.close();
    expect(rx.received).toHaveLength(0);
  });
});

describe('simulator receipt knobs and status reads', () => {
  it('retries on an explicit schedule, or not at all', async () => {
    const rx = await receiver(() => 503);
    const s = await start({ webhooks: { url: rx.url, secret: SECRET, delayMs: 0, retryScheduleMs: [1, 1] } });
    await send(s, { ...SMS, to: ['+15551230011'] });
    await rx.waitFor(3);
    await vi.waitFor(() => expect(s.stats().webhooks).toMatchObject({ sent: 0, failed: 1, retried: 2, pending: 0 }));

    s.configure({ webhooks: { url: rx.url, secret: SECRET, delayMs: 0, retryScheduleMs: [] } });
    await send(s, { ...SMS, to: ['+15551230012'] });
    await vi.waitFor(() => expect(s.stats().webhooks).toMatchObject({ failed: 2, retried: 2, pending: 0 }));
    expect(rx.received).toHaveLength(4); // one attempt for the second event
  });

  it('drops receipts on purpose and counts them', async () => {
    const rx = await receiver();
    const s = await start({ webhooks: { url: rx.url, secret: SECRET, delayMs: 0, dropRate: 1 } });
    await send(s, SMS);
    await vi.waitFor(() => expect(s.stats().webhooks).toMatchObject({ scheduled: 2, dropped: 2, sent: 0, pending: 0 }));
    expect(rx.received).toHaveLength(0);
    expect(() => s.configure({ webhooks: { url: rx.url, secret: SECRET, dropRate: 2 } })).toThrow(/dropRate/);
  });

  it('answers a message status by id and finds a send by its idempotency key, per account', async () => {
    const rx = await receiver();
    const s = await start({ webhooks: { url: rx.url, secret: SECRET, delayMs: 0 } });
    const token = await simToken(s);
    const auth = { authorization: `Bearer ${token}` };
    const res = await fetch(s.url + DEFAULT_ENDPOINTS.smsSend.path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'key-1', ...auth },
      body: JSON.stringify({ ...SMS, to: ['+15551230013'] }),
    });
    const { id } = (await res.json()) as { id: string };
    const [receipt] = await rx.waitFor(1);
    const byId = await fetch(`${s.url}/api/v2/message/sms/${id}`, { headers: auth });
    expect(byId.status).toBe(200);
    expect(await byId.json()).toMatchObject({ id, status: receipt!.json.status, to: '+15551230013' });
    const byKey = await fetch(`${s.url}${DEFAULT_ENDPOINTS.smsLookup.path}?idempotencyKey=key-1`, { headers: auth });
    expect(await byKey.json()).toMatchObject({ id, status: receipt!.json.status });
    expect((await fetch(`${s.url}${DEFAULT_ENDPOINTS.smsLookup.path}?idempotencyKey=key-2`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${s.url}/api/v2/message/sms/no-such-id`, { headers: auth })).status).toBe(404);
    expect(s.stats().sms).toMatchObject({ statusReads: 2, lookups: 2 });
  });

  it('does not serve a status endpoint its endpoint map has set to null', async () => {
    const s = await start({ endpoints: { smsLookup: { ...DEFAULT_ENDPOINTS.smsLookup, disabled: true } } });
    const token = await simToken(s);
    const res = await fetch(`${s.url}${DEFAULT_ENDPOINTS.smsLookup.path}?idempotencyKey=k`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(404);
    expect(s.stats().sms.lookups).toBe(0);
  });
});
