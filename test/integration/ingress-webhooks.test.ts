// Webhooks over real HTTP into the real Redis: signature, validation, deterministic job ids,
// and the job in its queue before the 2xx.
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningIngress } from '../../src/ingress/server.ts';
import { jobIdOf } from '../../src/ingress/webhook-kinds.ts';
import { ALL_QUEUE_KEYS, type QueueKey } from '../../src/queues/registry.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhook } from '../../src/webhook-signature.ts';
import { basicAuth, useIngress } from '../helpers/ingress.ts';

const h = useIngress('ingwh', {
  CXONE_ACCOUNT_ID: 'acct-1',
  WEBHOOK_SECRETS: 'secret-current,secret-next',
  INGRESS_BODY_LIMIT_BYTES: '4096',
  ADMIN_USER: 'admin',
  ADMIN_PASSWORD: 'pw-for-tests',
});
const { deps } = h;
const adminAuth = basicAuth('admin', 'pw-for-tests');
let ingress: RunningIngress;

beforeAll(() => {
  ingress = h.ingress!;
});

async function post(path: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(`${ingress.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

function signed(path: string, body: unknown, opts: { secret?: string; nowMs?: number; headers?: Record<string, string> } = {}) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  return post(path, raw, { ...signWebhook(opts.secret ?? 'secret-current', raw, opts.nowMs), ...opts.headers });
}

async function jobCount(key: QueueKey): Promise<number> {
  const counts = await deps.queues.get(key).getJobCounts();
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

async function totalJobs(): Promise<number> {
  let n = 0;
  for (const k of ALL_QUEUE_KEYS) n += await jobCount(k);
  return n;
}

let seq = 0;
const smsEvent = (extra: Record<string, unknown> = {}) => ({
  eventId: `evt-${++seq}-${Date.now()}`,
  messageId: `msg-${seq}`,
  status: 'delivered',
  to: '+15551234567',
  timestamp: new Date().toISOString(),
  ...extra,
});

describe('valid webhooks', () => {
  it('stores the job before answering 202, with request id, account and unknown fields kept', async () => {
    const event = smsEvent({ carrier: 'acme', nested: { a: 1 } });
    const res = await signed('/webhooks/sms/status', event, { headers: { 'x-request-id': 'req-abc-123' } });
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({ status: 'accepted', eventId: event.eventId, requestId: 'req-abc-123' });
    expect(res.headers.get('x-request-id')).toBe('req-abc-123');
    // Read right after the answer: nothing is awaited in between, so it was there before the 2xx.
    const job = await deps.queues.get('smsStatus').getJob(jobIdOf('sms-status', event.eventId));
    expect(job?.data).toMatchObject({
      accountId: 'acct-1',
      requestId: 'req-abc-123',
      eventId: event.eventId,
      messageId: event.messageId,
      status: 'delivered',
      to: '+15551234567',
      extra: { carrier: 'acme', nested: { a: 1 } },
    });
    expect(typeof (job?.data as { receivedAt?: unknown } | undefined)?.receivedAt).toBe('number');
  });

  it('answers a redelivery 200 duplicate and creates no second job', async () => {
    const event = smsEvent();
    const before = await jobCount('smsStatus');
    expect((await signed('/webhooks/sms/status', event)).status).toBe(202);
    const again = await signed('/webhooks/sms/status', event);
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ status: 'duplicate', eventId: event.eventId });
    expect(await jobCount('smsStatus')).toBe(before + 1);
  });

  it('derives the id from the content when the event has none (key order does not matter)', async () => {
    const { eventId: _drop, ...event } = smsEvent();
    const first = await signed('/webhooks/sms/status', event);
    expect(first.status).toBe(202);
    expect(String(first.json.eventId)).toMatch(/^sha256-[0-9a-f]{64}$/);
    const reordered = Object.fromEntries(Object.entries(event).reverse());
    const second = await signed('/webhooks/sms/status', reordered);
    expect(second.status).toBe(200);
    expect(second.json.eventId).toBe(first.json.eventId);
  });

  it('routes every kind to its queue', async () => {
    const ts = new Date().toISOString();
    const cases: [string, QueueKey, Record<string, unknown>][] = [
      ['/webhooks/email/bounce', 'emailBounce', { id: `b-${Date.now()}`, channelId: 'ch-1', messageId: 'm-1', bounceType: 'hard', timestamp: ts, recipient: 'a@b.c' }],
      ['/webhooks/sms/status', 'smsStatus', { eventId: 12345, messageId: 'm-2', status: 'sent', timestamp: ts }],
    ];
    for (const [path, queue, body] of cases) {
      const before = await jobCount(queue);
      const res = await signed(path, body);
      expect(res.status, path).toBe(202);
      expect(await jobCount(queue)).toBe(before + 1);
      const job = await deps.queues.get(queue).getJob(String(res.json.jobId));
      const data = job?.data as { eventId?: string; eventType?: string } | undefined;
      expect(data?.eventId).toBe(String(body.eventId ?? body.id));
      if (body.type) expect(data?.eventType).toBe(body.type);
    }
  });

  it('refuses a signed event for a domain that has not landed with 404, storing nothing', async () => {
    const ts = new Date().toISOString();
    const before = await totalJobs();
    for (const [path, body] of [
      ['/webhooks/preview/events', { eventId: `p-${Date.now()}`, eventType: 'campaign.preview.activated', campaignId: 'cmp-1', timestamp: ts }],
    ] as const) {
      const res = await signed(path, body);
      expect(res.status, path).toBe(404);
      const error = (res.json as { error: { code: string; message: string; details: { webhooks: string[] } } }).error;
      expect(error.code).toBe('NOT_FOUND');
      expect(error.message).toContain(`no webhook route POST ${path}`);
      expect(error.details.webhooks).toEqual(expect.arrayContaining(['/webhooks/sms/status', '/webhooks/email/bounce', '/webhooks/flows/events']));
    }
    expect(await totalJobs()).toBe(before);
  });

  it('accepts a signature made with any active secret (rotation)', async () => {
    expect((await signed('/webhooks/sms/status', smsEvent(), { secret: 'secret-next' })).status).toBe(202);
    expect((await signed('/webhooks/sms/status', smsEvent(), { secret: 'secret-current' })).status).toBe(202);
    expect((await signed('/webhooks/sms/status', smsEvent(), { secret: 'secret-retired' })).status).toBe(401);
  });
});

describe('refused webhooks leave no job', () => {
  const cases: [string, () => Promise<{ status: number; json: Record<string, unknown> }>, number, string][] = [
    ['bad signature', () => post('/webhooks/sms/status', JSON.stringify(smsEvent()), { [TIMESTAMP_HEADER]: String(Math.floor(Date.now() / 1000)), [SIGNATURE_HEADER]: `v1=${'a'.repeat(64)}` }), 401, 'bad_signature'],
    ['signature over another body', () => {
      const raw = JSON.stringify(smsEvent());
      return post('/webhooks/sms/status', raw.replace('delivered', 'failed'), signWebhook('secret-current', raw));
    }, 401, 'bad_signature'],
    ['old timestamp', () => signed('/webhooks/sms/status', smsEvent(), { nowMs: Date.now() - 301_000 }), 401, 'stale_timestamp'],
    ['future timestamp', () => signed('/webhooks/sms/status', smsEvent(), { nowMs: Date.now() + 301_000 }), 401, 'stale_timestamp'],
    ['missing headers', () => post('/webhooks/sms/status', JSON.stringify(smsEvent())), 401, 'missing_signature'],
    ['missing timestamp', () => {
      const raw = JSON.stringify(smsEvent());
      return post('/webhooks/sms/status', raw, { [SIGNATURE_HEADER]: signWebhook('secret-current', raw)[SIGNATURE_HEADER]! });
    }, 401, 'missing_signature'],
    ['malformed signature', () => post('/webhooks/sms/status', '{}', { [TIMESTAMP_HEADER]: 'yesterday', [SIGNATURE_HEADER]: 'sha1=zz' }), 401, 'malformed_signature'],
    ['malformed JSON', () => signed('/webhooks/sms/status', '{"eventId": "x", '), 400, 'invalid_json'],
    ['a JSON array', () => signed('/webhooks/sms/status', '[1,2]'), 400, 'invalid_payload'],
    ['wrong content type', () => signed('/webhooks/sms/status', smsEvent(), { headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type'],
    ['oversized body', () => signed('/webhooks/sms/status', smsEvent({ padding: 'x'.repeat(5000) })), 413, 'payload_too_large'],
  ];
  for (const [name, send, status, reason] of cases) {
    it(`${name} → ${status}`, async () => {
      const before = await totalJobs();
      const res = await send();
      expect(res.status).toBe(status);
      expect(res.json).toHaveProperty('error.code');
      if (status === 401) expect(res.json).toEqual({ error: { code: 'UNAUTHORIZED', message: 'signature verification failed' } });
      expect(await totalJobs()).toBe(before);
      const listed = await fetch(`${ingress.url}/api/webhooks/rejections?limit=1`, { headers: { authorization: adminAuth } });
      const body = (await listed.json()) as { items: { reason: string; route: string; excerpt: string }[]; counts: Record<string, number> };
      expect(body.items[0]).toMatchObject({ reason, route: '/webhooks/sms/status' });
      expect(body.items[0]!.excerpt.length).toBeLessThanOrEqual(512);
      expect(body.counts[reason]).toBeGreaterThan(0);
    });
  }

  it('refuses wrong types on known fields with 400 naming each path', async () => {
    const before = await totalJobs();
    const res = await signed('/webhooks/sms/status', smsEvent({ status: 5, messageId: { id: 1 }, error: { code: 7 } }));
    expect(res.status).toBe(400);
    const paths = (res.json as { error: { details: { issues: { path: string }[] } } }).error.details.issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['status', 'messageId', 'error.code']));
    expect((res.json as { error: { message: string } }).error.message).toContain('status');
    const missing = await signed('/webhooks/email/bounce', { channelId: 'c', messageId: 'm', timestamp: 't' });
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.json)).toContain('bounceType');
    expect(await totalJobs()).toBe(before);
  });

  it('refuses an oversized body sent without Content-Length (chunked) with 413', async () => {
    const before = await totalJobs();
    const chunk = Buffer.alloc(1024, 'x');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 8; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const res = await fetch(`${ingress.url}/webhooks/sms/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signWebhook('secret-current', 'whatever') },
      body: stream,
      duplex: 'half',
    });
    expect(res.status).toBe(413);
    expect(await totalJobs()).toBe(before);
  });

  it('masks phone numbers in rejection excerpts', async () => {
    await post('/webhooks/sms/status', JSON.stringify(smsEvent({ to: '+15557654321' })));
    const listed = await fetch(`${ingress.url}/api/webhooks/rejections?limit=1&reason=missing_signature`, { headers: { authorization: adminAuth } });
    const body = (await listed.json()) as { items: { excerpt: string }[] };
    expect(body.items[0]!.excerpt).not.toContain('5557654321');
    expect(body.items[0]!.excerpt).toContain('+*********21');
  });
});

describe('the webhook lane and the Express routes', () => {
  it('answer alike: the server serves webhook POSTs without Express, `app` serves the same handler', async () => {
    // The same ingress's Express app on a server of its own: the route every path falls back to.
    const { createServer } = await import('node:http');
    const viaExpress = createServer(ingress.ingress.app);
    await new Promise<void>((resolve) => viaExpress.listen(0, '127.0.0.1', resolve));
    const expressUrl = `http://127.0.0.1:${(viaExpress.address() as { port: number }).port}`;
    try {
      const answers = [];
      for (const base of [ingress.url, expressUrl]) {
        const event = smsEvent();
        const raw = JSON.stringify(event);
        const res = await fetch(`${base}/webhooks/sms/status`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-request-id': `req-${base.length}`, ...signWebhook('secret-current', raw) },
          body: raw,
        });
        const unsigned = await fetch(`${base}/webhooks/sms/status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw });
        answers.push({
          status: res.status,
          type: res.headers.get('content-type'),
          requestId: res.headers.get('x-request-id'),
          body: (await res.json()) as Record<string, unknown>,
          unsigned: { status: unsigned.status, body: (await unsigned.json()) as Record<string, unknown> },
          stored: ((await deps.queues.get('smsStatus').getJob(jobIdOf('sms-status', event.eventId)))?.data as { requestId?: string } | undefined)?.requestId,
        });
      }
      const [lane, viaApp] = answers;
      for (const a of answers) {
        expect(a).toMatchObject({ status: 202, type: 'application/json; charset=utf-8', body: { status: 'accepted' } });
        expect(a.stored).toBe(a.requestId);
        expect(a.unsigned).toEqual({ status: 401, body: { error: { code: 'UNAUTHORIZED', message: 'signature verification failed' } } });
      }
      expect(Object.keys(lane!.body).sort()).toEqual(Object.keys(viaApp!.body).sort());
      // The lane's requests are counted under their route, like any other.
      const metrics = await deps.metrics.registry.metrics();
      expect(metrics).toMatch(/cxone_fleet_http_requests_total\{[^}]*route="\/webhooks\/sms\/status"[^}]*status="202"[^}]*\} [1-9]/);
    } finally {
      await new Promise((resolve) => viaExpress.close(resolve));
    }
  });

  it('leaves what is not exactly a webhook POST to Express (other methods, a trailing slash)', async () => {
    const get = await fetch(`${ingress.url}/webhooks/sms/status`);
    expect(get.status).toBe(404);
    const event = smsEvent();
    const res = await signed('/webhooks/sms/status/?via=express', event);
    expect(res.status).toBe(202);
    expect(await deps.queues.get('smsStatus').getJob(jobIdOf('sms-status', event.eventId))).toBeTruthy();
  });
});
