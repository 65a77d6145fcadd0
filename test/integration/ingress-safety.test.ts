// Safe defaults of the ingress as the fleet runs it (every route of every job kind mounted),
// over real HTTP and Redis: cross-site requests and over-deep JSON are refused with 4xx on
// every state-changing route and webhook, the disabled admin surface says how to enable
// it, and /metrics can require a token.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startFleetIngress } from '../../src/fleet-ingress.ts';
import { WEBHOOK_KINDS } from '../../src/platform/modules.ts';
import { createLogger } from '../../src/logger.ts';
import { signWebhook } from '../../src/webhook-signature.ts';
import { createSubscriptionStore } from '../../src/flows/subscriptions.ts';
import { REDIS_ENV, createTestRedis, deleteKeysWithPrefix, testPrefix } from '../helpers/redis.ts';

type Fleet = Awaited<ReturnType<typeof startFleetIngress>>;
const prefix = testPrefix('ingsafe');
const TOKEN = 'admin-token-for-safety-tests';
const METRICS_TOKEN = 'metrics-token-for-safety-tests';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const started: Fleet[] = [];

async function start(env: Record<string, string>): Promise<Fleet> {
  const config = loadConfig({ ...REDIS_ENV, FLEET_PREFIX: prefix, LOG_LEVEL: 'silent', WEBHOOK_SECRETS: 'safety-secret', ...env });
  const fleet = await startFleetIngress(config, createLogger({ level: 'silent' }), { host: '127.0.0.1', port: 0 });
  started.push(fleet);
  return fleet;
}

let fleet: Fleet;
beforeAll(async () => {
  fleet = await start({ ADMIN_TOKEN: TOKEN, METRICS_TOKEN });
  // Flow events verify with a registered subscription's own secret: one that signs like the rest.
  vi.stubEnv('CXONE_SECRET_SAFETY', 'safety-secret');
  const redis = createTestRedis();
  await createSubscriptionStore({ redis, prefix }).put({ id: 'sub-safety', url: 'https://x.example/hook', eventTypes: ['flow.updated'], secretEnv: 'CXONE_SECRET_SAFETY', registeredAt: new Date().toISOString(), created: true });
  await redis.quit();
});
afterAll(async () => {
  vi.unstubAllEnvs();
  for (const f of started) await f.shutdown();
  const redis = createTestRedis();
  await deleteKeysWithPrefix(redis, prefix);
  await redis.quit();
});

/** Every state-changing API route, with its path parameters filled in. */
function stateChangingRoutes() {
  const routes = fleet.ingress.apiRouter.routes().filter((r) => r.method !== 'get');
  expect(routes.length).toBeGreaterThanOrEqual(4);
  return routes.map((r) => ({ method: r.method.toUpperCase(), path: `/api${r.path.replace(/:(\w+)/g, 'x1')}`, label: `${r.method} ${r.path}` }));
}

const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

async function errorOf(res: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await res.json()) as { error: { code: string; message: string } };
  return { status: res.status, ...body.error };
}

describe('state-changing API routes', () => {
  it('refuse a cross-site form POST with an empty body (Origin of another site)', async () => {
    for (const r of stateChangingRoutes()) {
      const res = await fetch(fleet.url + r.path, {
        method: r.method,
        headers: { ...AUTH, origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(await errorOf(res), r.label).toMatchObject({ status: 403, code: 'CROSS_SITE_REQUEST', message: expect.stringContaining('evil.example') });
    }
  });

  it('refuse Sec-Fetch-Site: cross-site even with a JSON body, and an empty body that could be a form', async () => {
    for (const r of stateChangingRoutes()) {
      const crossSite = await fetch(fleet.url + r.path, { method: r.method, headers: { ...AUTH, 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' }, body: '{}' });
      expect(await errorOf(crossSite), r.label).toMatchObject({ status: 403, code: 'CROSS_SITE_REQUEST' });
      const formLike = await fetch(fleet.url + r.path, { method: r.method, headers: AUTH });
      expect(await errorOf(formLike), r.label).toMatchObject({ status: 403, message: expect.stringContaining('X-Requested-With') });
    }
  });

  it('answer a 10,000-deep JSON body with 400, never 500', async () => {
    for (const r of stateChangingRoutes()) {
      const res = await fetch(fleet.url + r.path, { method: r.method, headers: { ...AUTH, 'content-type': 'application/json' }, body: deep(10_000) });
      expect(await errorOf(res), r.label).toMatchObject({ status: 400, code: 'JSON_TOO_COMPLEX' });
    }
    const wide = JSON.stringify(Object.fromEntries(Array.from({ length: 1_001 }, (_, i) => [`k${i}`, i])));
    const res = await fetch(`${fleet.url}/api/sms/consent`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: wide });
    expect(await errorOf(res)).toMatchObject({ status: 400, code: 'JSON_TOO_COMPLEX', message: expect.stringContaining('1000 keys') });
  });

  it('still serve same-origin callers: an empty JSON POST from the same origin goes through', async () => {
    const replay = await fetch(`${fleet.url}/api/dlq/sms-send/replay`, {
      method: 'POST',
      headers: { ...AUTH, origin: fleet.url, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' },
    });
    expect(replay.status).toBe(200);
    const withHeader = await fetch(`${fleet.url}/api/dlq/sms-send/replay`, { method: 'POST', headers: { ...AUTH, 'x-requested-with': 'cli' } });
    expect(withHeader.status).toBe(200);
  });
});

describe('webhooks', () => {
  it('answer a signed 10,000-deep body with 400 on every webhook route', async () => {
    const body = deep(10_000);
    for (const kind of WEBHOOK_KINDS) {
      const res = await fetch(fleet.url + kind.path, { method: 'POST', headers: { 'content-type': 'application/json', ...signWebhook('safety-secret', body) }, body });
      expect(await errorOf(res), kind.path).toMatchObject({ status: 400, code: 'JSON_TOO_COMPLEX' });
    }
  });
});

describe('admin surface and metrics', () => {
  it('when disabled, says so and how to enable it, as JSON', async () => {
    const off = await start({});
    for (const path of ['/api/dlq', '/admin/queues', '/api/sms/batches']) {
      const res = await fetch(off.url + path);
      const error = await errorOf(res);
      expect(error, path).toMatchObject({ status: 404, code: 'ADMIN_DISABLED' });
      expect(error.message).toContain('ADMIN_TOKEN');
    }
  });

  it('/metrics requires METRICS_TOKEN when it is set', async () => {
    const without = await fetch(`${fleet.url}/metrics`);
    expect(without.status).toBe(401);
    expect(without.headers.get('www-authenticate')).toContain('Bearer');
    const wrong = await fetch(`${fleet.url}/metrics`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const right = await fetch(`${fleet.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(right.status).toBe(200);
    expect(await right.text()).toContain('cxone_fleet_');
  });

  it('/metrics moves to its own port with INGRESS_METRICS_PORT, off the public one', async () => {
    const split = await start({ INGRESS_METRICS_PORT: '0' });
    expect((await fetch(`${split.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${split.url}/healthz`)).status).toBe(200);
    expect(split.opsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const metrics = await fetch(`${split.opsUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('cxone_fleet_queue_jobs{queue="sms-send"');
    expect(await (await fetch(`${split.opsUrl}/readyz`)).json()).toEqual({ status: 'ready', redis: 'ok' });
  });
});
