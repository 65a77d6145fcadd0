// Property-based: thousands of random bodies, content types and header values at every
// route. Never a 5xx, never a crash, and never a job from a request that was not signed.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSubscriptionStore } from '../../src/flows/subscriptions.ts';
import type { RunningIngress } from '../../src/ingress/server.ts';
import { WEBHOOK_KINDS } from '../../src/platform/modules.ts';
import { ALL_QUEUE_KEYS } from '../../src/queues/registry.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhook } from '../../src/webhook-signature.ts';
import { basicAuth, useIngress } from '../helpers/ingress.ts';
import { createTestRedis } from '../helpers/redis.ts';

const SECRET = 'prop-secret';
// PROPERTY_RUNS_SCALE=10 for a long local hunt; the default keeps CI at a few seconds.
const scale = Number(process.env.PROPERTY_RUNS_SCALE ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * scale));
const h = useIngress('ingprop', {
  WEBHOOK_SECRETS: SECRET,
  INGRESS_BODY_LIMIT_BYTES: '4096',
  ADMIN_USER: 'admin',
  ADMIN_PASSWORD: 'pw',
});
const { deps } = h;
const basic = basicAuth('admin', 'pw');
let ingress: RunningIngress;

beforeAll(async () => {
  ingress = h.ingress!;
  // Flow events verify with a registered subscription's own secret: one that signs like the rest.
  vi.stubEnv('CXONE_SECRET_PROP', SECRET);
  const redis = createTestRedis();
  await createSubscriptionStore({ redis, prefix: h.prefix }).put({ id: 'sub-prop', url: 'https://x.example/hook', eventTypes: ['flow.updated'], secretEnv: 'CXONE_SECRET_PROP', registeredAt: new Date().toISOString(), created: true });
  await redis.quit();
});
afterAll(() => vi.unstubAllEnvs());

async function totalJobs(): Promise<number> {
  let n = 0;
  for (const k of ALL_QUEUE_KEYS) {
    const counts = await deps.queues.get(k).getJobCounts();
    n += Object.values(counts).reduce((a, b) => a + b, 0);
  }
  return n;
}

const printable = fc.string({ unit: 'grapheme-ascii', maxLength: 80 });
const contentType = fc.oneof(
  fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/vnd.cxone+json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', ''),
  printable,
);
const nowS = () => Math.floor(Date.now() / 1000);
const timestampHeader = fc.oneof(
  fc.integer({ min: -400, max: 400 }).map((d) => String(nowS() + d)),
  fc.constantFrom('', '0', '99999999999999', '-1', '1e9', ' 17 '),
  printable,
);
const signatureHeader = fc.oneof(
  fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => `v1=${h}`),
  fc.tuple(fc.stringMatching(/^[0-9a-f]{64}$/), fc.stringMatching(/^[0-9a-f]{64}$/)).map(([a, b]) => `v1=${a},v1=${b}`),
  fc.constantFrom('', 'v1=', 'v0=abc', 'v1=zz', 'sha256=00'),
  printable,
);
const eventLike = fc.record(
  {
    eventId: fc.oneof(fc.string({ maxLength: 300 }), fc.integer(), fc.constant(null)),
    id: fc.oneof(fc.string(), fc.integer()),
    messageId: fc.oneof(fc.string({ maxLength: 250 }), fc.integer(), fc.array(fc.string())),
    status: fc.oneof(fc.constantFrom('queued', 'sent', 'delivered', 'undelivered', 'failed'), fc.string(), fc.integer()),
    to: fc.oneof(fc.string(), fc.constant(null)),
    timestamp: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.string({ maxLength: 80 }), fc.integer()),
    error: fc.oneof(fc.record({ code: fc.oneof(fc.string(), fc.integer()), message: fc.string() }), fc.string()),
    channelId: fc.string(),
    bounceType: fc.oneof(fc.string(), fc.boolean()),
    campaignId: fc.string(),
    flowId: fc.string(),
    eventType: fc.oneof(fc.string({ maxLength: 250 }), fc.integer()),
    type: fc.string(),
    data: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.jsonValue()),
    __proto__: fc.jsonValue(),
    constructor: fc.jsonValue(),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  { weight: 3, arbitrary: eventLike.map((e) => JSON.stringify(e)) },
  { weight: 2, arbitrary: fc.json({ maxDepth: 4 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 300 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b).toString('latin1')) },
  { weight: 1, arbitrary: fc.integer({ min: 4000, max: 6000 }).map((n) => `{"pad":"${'x'.repeat(n)}"}`) },
);
const webhookPath = fc.constantFrom(...WEBHOOK_KINDS.map((k) => k.path));

async function send(path: string, init: { method?: string; body?: string; headers: Record<string, string> }) {
  const headers = new Headers();
  for (const [k, v] of Object.entries(init.headers)) {
    try {
      headers.set(k, v);
    } catch {
      // A value fetch itself refuses never reaches the server: nothing to test there.
    }
  }
  const method = init.method ?? 'POST';
  const res = await fetch(`${ingress.url}${path}`, {
    method,
    headers,
    body: method === 'GET' || method === 'HEAD' ? undefined : init.body,
    signal: AbortSignal.timeout(5_000),
  });
  await res.arrayBuffer();
  return res.status;
}

describe('random input at every route', () => {
  it('unsigned or wrongly signed webhooks: never 5xx, never a job', async () => {
    await fc.assert(
      fc.asyncProperty(
        webhookPath,
        body,
        contentType,
        fc.option(timestampHeader, { nil: undefined }),
        fc.option(signatureHeader, { nil: undefined }),
        fc.option(fc.constantFrom('old-secret', '', SECRET.toUpperCase()), { nil: undefined }),
        async (path, raw, type, ts, sig, wrongSecret) => {
          const headers: Record<string, string> = { 'content-type': type };
          if (ts !== undefined) headers[TIMESTAMP_HEADER] = ts;
          if (sig !== undefined) headers[SIGNATURE_HEADER] = sig;
          if (wrongSecret !== undefined && wrongSecret !== '') Object.assign(headers, signWebhook(wrongSecret, raw));
          const status = await send(path, { body: raw, headers });
          expect([401, 413]).toContain(status);
        },
      ),
      { numRuns: runs(800) },
    );
    expect(await totalJobs()).toBe(0);
  });

  it('signed random bodies: only the documented answers, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(webhookPath, body, fc.oneof(fc.constant('application/json'), contentType), async (path, raw, type) => {
        const status = await send(path, { body: raw, headers: { 'content-type': type, ...signWebhook(SECRET, raw) } });
        expect([200, 202, 400, 413, 415]).toContain(status);
      }),
      { numRuns: runs(600) },
    );
  });

  it('admin, API and vital-sign routes: never 5xx, with or without credentials', async () => {
    const paths = fc.oneof(
      fc.constantFrom('/healthz', '/readyz', '/metrics', '/admin/queues', '/admin/queues/', '/admin/queues/api/queues', '/admin/queues/api/redis/stats', '/admin/queues/api/queues/sms-status/no-such-job', '/api/openapi.json', '/api/dlq', '/api/webhooks/rejections', '/api/templates/preview', '/api/dlq/sms-status', '/api/dlq/sms-status/replay'),
      fc.tuple(fc.constantFrom('/api/', '/api/dlq/', '/admin/queues/', '/webhooks/', '/'), fc.webSegment()).map(([a, b]) => `${a}${b}`),
      fc.tuple(fc.constantFrom('/api/webhooks/rejections?', '/api/dlq/sms-status?'), fc.constantFrom('limit', 'since', 'reason', 'x'), printable).map(
        ([p, k, v]) => `${p}${k}=${encodeURIComponent(v)}`,
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        paths,
        fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'),
        fc.constantFrom(basic, 'Bearer nope', '', 'Basic !!!', `Basic ${Buffer.from('admin').toString('base64')}`),
        body,
        contentType,
        fc.option(printable, { nil: undefined }),
        async (path, method, auth, raw, type, idemKey) => {
          const headers: Record<string, string> = { 'content-type': type, authorization: auth };
          if (idemKey !== undefined) headers['idempotency-key'] = idemKey;
          const status = await send(path, { method, body: raw, headers });
          expect(status).toBeLessThan(500);
        },
      ),
      { numRuns: runs(700) },
    );
    expect((await fetch(`${ingress.url}/healthz`)).status).toBe(200);
  });
});
