// The admin surface and vital signs over real HTTP and Redis: authentication, the control
// API framework (validation, error shape, Idempotency-Key, OpenAPI), dead letters, template
// preview, /metrics, /healthz, /readyz, and draining on close.
import { Writable } from 'node:stream';
import { UnrecoverableError, Worker } from 'bullmq';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../../src/config.ts';
import { listDeadLetters, redriveDeadLetters } from '../../src/dead-letters.ts';
import { createLogger } from '../../src/logger.ts';
import { defineRoute } from '../../src/ingress/api/router.ts';
import { createApp } from '../../src/ingress/app.ts';
import type { RunningIngress } from '../../src/ingress/server.ts';
import { signWebhook } from '../../src/webhook-signature.ts';
import { REDIS_ENV, createTestRedis } from '../helpers/redis.ts';
import { basicAuth, useIngress } from '../helpers/ingress.ts';

const h = useIngress('ingapi', { ADMIN_USER: 'admin', ADMIN_PASSWORD: 'pw-1', ADMIN_TOKEN: 'tok-1', WEBHOOK_SECRETS: 's1' });
const { prefix, deps } = h;
const basic = basicAuth('admin', 'pw-1');
let ingress: RunningIngress;
let echoCalls = 0;
let releaseSlow: (() => void) | undefined;
let slowStarted: (() => void) | undefined;

beforeAll(() => {
  ingress = h.ingress!;
  // A route defined the way later issues will add theirs.
  ingress.ingress.apiRouter.route(
    defineRoute({
      method: 'post',
      path: '/test/echo/:name',
      summary: 'Echo for tests',
      params: z.object({ name: z.string().min(2) }),
      body: z.object({ count: z.number().int(), tags: z.array(z.string()).optional() }),
      handler: ({ body, params, idempotencyKey }) => {
        echoCalls += 1;
        return { status: 201, body: { name: params.name, count: body.count, call: echoCalls, idempotencyKey } };
      },
    }),
  );
  ingress.ingress.apiRouter.route(
    defineRoute({
      method: 'get',
      path: '/test/slow',
      summary: 'Waits until the test releases it',
      handler: async () => {
        slowStarted?.();
        await new Promise<void>((r) => (releaseSlow = r));
        return { status: 200, body: { done: true } };
      },
    }),
  );
});


const api = (path: string, init: RequestInit & { auth?: string | null } = {}) => {
  const headers = new Headers(init.headers);
  if (init.auth !== null) headers.set('authorization', init.auth ?? basic);
  return fetch(`${ingress.url}${path}`, { ...init, headers });
};
const postJson = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  api(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });

describe('authentication', () => {
  it('refuses the dashboard and the API without or with wrong credentials', async () => {
    for (const path of ['/admin/queues', '/admin/queues/api/queues', '/api/openapi.json', '/api/dlq']) {
      const none = await api(path, { auth: null });
      expect(none.status, path).toBe(401);
      expect(none.headers.get('www-authenticate')).toContain('Basic');
      expect(await none.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: 'authentication required' } });
      expect((await api(path, { auth: `Basic ${Buffer.from('admin:wrong').toString('base64')}` })).status).toBe(401);
      expect((await api(path, { auth: 'Bearer wrong' })).status).toBe(401);
    }
  });

  it('lets basic and bearer credentials in', async () => {
    const page = await api('/admin/queues');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    expect((await api('/admin/queues/api/queues', { auth: 'Bearer tok-1' })).status).toBe(200);
    expect((await api('/api/dlq', { auth: 'Bearer tok-1' })).status).toBe(200);
  });

  it('turns the admin surface off, and says so, when no credentials are configured', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _e, cb) => (lines.push(chunk.toString()), cb()) });
    const bare = loadConfig({ ...REDIS_ENV, FLEET_PREFIX: prefix, LOG_LEVEL: 'silent' });
    const { app } = createApp({ ...deps, config: bare, logger: createLogger({ level: 'info' }, sink) });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as { port: number };
    try {
      expect((await fetch(`http://127.0.0.1:${port}/admin/queues`, { headers: { authorization: basic } })).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/api/openapi.json`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      await new Promise((r) => server.close(r));
    }
    expect(lines.join('')).toMatch(/"level":40.*admin credentials not configured/);
  });
});

describe('control API framework', () => {
  it('validates bodies and params with the field path, in one error shape', async () => {
    const bad = await postJson('/api/test/echo/ab', { count: 'three', tags: [1] });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error: { code: string; details: { in: string; issues: { path: string }[] } } };
    expect(body.error.code).toBe('VALIDATION');
    expect(body.error.details.in).toBe('body');
    expect(body.error.details.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['count', 'tags.0']));
    const badParam = await postJson('/api/test/echo/a', { count: 1 });
    expect(badParam.status).toBe(400);
    expect(((await badParam.json()) as { error: { details: { in: string } } }).error.details.in).toBe('params');
    const badJson = await api('/api/test/echo/ab', { method: 'POST', body: '{"count":', headers: { 'content-type': 'application/json' } });
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { error: { code: string } }).error.code).toBe('INVALID_JSON');
    const wrongType = await api('/api/test/echo/ab', { method: 'POST', body: 'count=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(wrongType.status).toBe(415);
    const unknown = await api('/api/nope');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('replays the first answer for the same Idempotency-Key and refuses its reuse for another body', async () => {
    const key = `k-${Date.now()}`;
    const first = await postJson('/api/test/echo/ab', { count: 1, tags: ['a'] }, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    const firstBody = (await first.json()) as { call: number; idempotencyKey: string };
    expect(firstBody.idempotencyKey).toBe(key);
    // Same request, keys in another order: the same request.
    const replay = await api('/api/test/echo/ab', { method: 'POST', body: '{"tags":["a"],"count":1}', headers: { 'content-type': 'application/json', 'idempotency-key': key } });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await replay.json()).toEqual(firstBody);
    const reuse = await postJson('/api/test/echo/ab', { count: 2 }, { 'idempotency-key': key });
    expect(reuse.status).toBe(422);
    expect(await reuse.json()).toMatchObject({ error: { code: 'IDEMPOTENCY_KEY_REUSED' } });
    expect(echoCalls).toBe(firstBody.call);
    // Without a key every POST runs.
    await postJson('/api/test/echo/ab', { count: 1 });
    await postJson('/api/test/echo/ab', { count: 1 });
    expect(echoCalls).toBe(firstBody.call + 2);
  });

  it('serves an OpenAPI 3.1 document generated from the zod schemas', async () => {
    const res = await api('/api/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, { parameters?: { name: string }[]; requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> } }>> };
    expect(doc.openapi).toBe('3.1.0');
    const echo = doc.paths['/api/test/echo/{name}']?.post;
    expect(echo?.parameters?.map((p) => p.name)).toEqual(expect.arrayContaining(['name', 'Idempotency-Key']));
    expect(echo?.requestBody?.content['application/json']?.schema.properties).toHaveProperty('count');
    for (const p of ['/api/templates/preview', '/api/dlq/{queue}', '/api/dlq/{queue}/replay', '/api/webhooks/rejections', '/webhooks/sms/status', '/webhooks/email/bounce']) {
      expect(doc.paths, p).toHaveProperty([p]);
    }
  });
});

describe('dead letters', () => {
  it('lists failed jobs, and replays them with attempts reset', async () => {
    const queue = deps.queues.get('emailHealth');
    const t0 = Date.now();
    await deps.enqueuer.enqueue('emailHealth', { accountId: 'a', requestId: 'req-dlq', channelId: 'ch-1', channelName: 'support' }, { jobId: 'dlq-1' });
    const failedOnce = new Promise<void>((resolve) => {
      const worker = new Worker(queue.name, () => Promise.reject(new UnrecoverableError('channel is gone')), {
        connection: createTestRedis('worker'),
        prefix,
      });
      worker.on('failed', () => void worker.close().then(() => resolve()));
    });
    await failedOnce;

    const listed = await listDeadLetters(deps.queues, 'emailHealth', { since: t0 });
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ jobId: 'dlq-1', failedReason: 'channel is gone', unrecoverable: true, requestId: 'req-dlq' });
    expect(await listDeadLetters(deps.queues, 'emailHealth', { since: Date.now() + 60_000 })).toHaveLength(0);

    const viaApi = await api('/api/dlq/email-health');
    expect(await viaApi.json()).toMatchObject({ queue: 'email-health', count: 1, items: [{ jobId: 'dlq-1' }] });
    expect(await (await api('/api/dlq')).json()).toMatchObject({ queues: { 'email-health': 1, 'sms-status': 0 } });
    expect((await api('/api/dlq/no-such-queue')).status).toBe(404);

    const replay = await postJson('/api/dlq/emailHealth/replay', { since: new Date(t0).toISOString() });
    expect(await replay.json()).toMatchObject({ queue: 'email-health', dryRun: false, replayed: ['dlq-1'], skipped: [], errors: [] });
    expect(await queue.getJobState('dlq-1')).toBe('waiting');
    expect((await queue.getJob('dlq-1'))?.attemptsMade).toBe(0);
    expect(await redriveDeadLetters(deps.queues, 'emailHealth')).toMatchObject({ replayed: [], errors: [] });
  });
});

describe('template preview', () => {
  const valid = '<mjml><mj-body><mj-section><mj-column><mj-text>Hello</mj-text></mj-column></mj-section></mj-body></mjml>';

  it('renders valid MJML (JSON or text/plain) to HTML', async () => {
    const json = await postJson('/api/templates/preview', { mjml: valid });
    expect(json.status).toBe(200);
    const body = (await json.json()) as { html: string; warnings: unknown[] };
    expect(body.html).toContain('Hello');
    expect(body.html).toMatch(/<!doctype html>/i);
    const text = await api('/api/templates/preview', { method: 'POST', body: valid, headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(200);
  });

  it('answers 422 with {line, tag, message} for invalid templates', async () => {
    for (const source of [
      '<mjml><mj-body><mj-section><mj-column><mj-text>Hi</mj-column></mj-section></mj-body></mjml>',
      '<mj-body><mj-section></mj-section></mj-body>',
      '<mjml><mj-body><mj-section><mj-column><mj-image src="x" foo="bar"/></mj-column></mj-section></mj-body></mjml>',
    ]) {
      const res = await postJson('/api/templates/preview', { mjml: source });
      expect(res.status, source).toBe(422);
      const body = (await res.json()) as { error: { code: string; details: { line: number | null; tag: string | null; message: string }[] } };
      expect(body.error.code).toBe('INVALID_TEMPLATE');
      expect(body.error.details.length).toBeGreaterThan(0);
      for (const d of body.error.details) expect(Object.keys(d).sort()).toEqual(['line', 'message', 'tag']);
    }
  });
});

describe('template preview refuses scripts', () => {
  it('answers 422 naming the line and tag of a <script>, an on*= handler and a javascript: URL', async () => {
    const source = [
      '<mjml><mj-body><mj-section><mj-column>',
      '<mj-text>Hi<script>alert(1)</script></mj-text>',
      '<mj-text><img src="a.png" onerror="alert(1)"></mj-text>',
      '<mj-button href="javascript:alert(1)">Go</mj-button>',
      '</mj-column></mj-section></mj-body></mjml>',
    ].join('\n');
    const res = await postJson('/api/templates/preview', { mjml: source });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; details: { line: number | null; tag: string | null; message: string }[] } };
    expect(body.error.code).toBe('INVALID_TEMPLATE');
    expect(body.error.details.map((d) => [d.line, d.tag])).toEqual([
      [2, 'script'],
      [3, 'img'],
      [4, 'mj-button'],
    ]);
    expect(JSON.stringify(body)).not.toContain('<!doctype');
  });
});

describe('vital signs', () => {
  it('answers /healthz and /readyz', async () => {
    expect(await (await fetch(`${ingress.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${ingress.url}/readyz`);
    expect(ready.status).toBe(200);
  });

  it('serves /metrics as Prometheus text with HTTP, webhook and queue-depth series', async () => {
    const raw = JSON.stringify({ eventId: 'metrics-1', messageId: 'm', status: 'sent', timestamp: 't' });
    await fetch(`${ingress.url}/webhooks/sms/status`, { method: 'POST', body: raw, headers: { 'content-type': 'application/json', ...signWebhook('s1', raw) } });
    await fetch(`${ingress.url}/webhooks/sms/status`, { method: 'POST', body: raw });
    const res = await fetch(`${ingress.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    const sample = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? -?([0-9.e+-]+|NaN|\+Inf|-Inf)( -?\d+)?$/;
    const meta = /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*$/;
    for (const line of text.split('\n').filter(Boolean)) expect(sample.test(line) || meta.test(line), line).toBe(true);
    expect(text).toMatch(/cxone_fleet_webhooks_total\{kind="sms-status",result="accepted"\} 1/);
    expect(text).toMatch(/cxone_fleet_webhooks_total\{kind="sms-status",result="missing_signature"\} 1/);
    expect(text).toMatch(/cxone_fleet_http_requests_total\{method="POST",route="\/webhooks\/sms\/status",status="202"\} 1/);
    expect(text).toMatch(/cxone_fleet_http_request_duration_seconds_bucket\{le="[^"]+",method="POST",route="\/webhooks\/sms\/status"\}/);
    expect(text).toMatch(/cxone_fleet_queue_jobs\{queue="sms-status",state="waiting"\} 1/);
  });

  it('sets security headers and a request id', async () => {
    const res = await fetch(`${ingress.url}/healthz`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('graceful close', () => {
  it('finishes in-flight requests and stops accepting new ones', async () => {
    const started = new Promise<void>((r) => (slowStarted = r));
    const inFlight = api('/api/test/slow');
    await started;
    const closed = ingress.close();
    await expect(fetch(`${ingress.url}/healthz`)).rejects.toThrow();
    releaseSlow?.();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.headers.get('connection')).not.toBe('keep-alive');
    expect(await res.json()).toEqual({ done: true });
    await closed;
  });
});
