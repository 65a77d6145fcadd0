// Redis outage: the ingress answers 503 quickly (a request timeout turns a hang into a
// failure), takes webhooks again once Redis is back, and nothing it acknowledged is lost.
// Runs against a private redis-server (AOF fsync always) that the test kills and restarts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createIngressDeps } from '../../src/ingress/deps.ts';
import { startIngress, type RunningIngress } from '../../src/ingress/server.ts';
import { jobIdOf } from '../../src/ingress/webhook-kinds.ts';
import { signWebhook } from '../../src/webhook-signature.ts';
import { startEphemeralRedis, type EphemeralRedis } from '../helpers/ephemeral-redis.ts';
import { testPrefix } from '../helpers/redis.ts';

const ANSWER_BOUND_MS = 1_000;
let redisServer: EphemeralRedis;
let deps: ReturnType<typeof createIngressDeps>;
let ingress: RunningIngress;

beforeAll(async () => {
  redisServer = await startEphemeralRedis();
  const config = loadConfig({ REDIS_URL: redisServer.url, FLEET_PREFIX: testPrefix('ingout'), LOG_LEVEL: 'silent', WEBHOOK_SECRETS: 's1', ADMIN_TOKEN: 'tok' });
  deps = createIngressDeps(config, createLogger({ level: 'silent' }));
  ingress = await startIngress({ ...deps, host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await ingress?.close();
  await deps?.close();
  await redisServer?.destroy();
});

let seq = 0;
function event() {
  return { eventId: `out-${++seq}`, messageId: `m-${seq}`, status: 'sent', timestamp: new Date().toISOString() };
}

async function deliver(body: object, timeoutMs = ANSWER_BOUND_MS) {
  const raw = JSON.stringify(body);
  const res = await fetch(`${ingress.url}/webhooks/sms/status`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signWebhook('s1', raw) },
    body: raw,
    // A hang fails the test instead of waiting: the answer must come within the bound.
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, unknown> };
}

describe('Redis outage', () => {
  it('answers 503 within a second while Redis is down, then accepts again, losing nothing acknowledged', async () => {
    const acknowledged: string[] = [];
    for (let i = 0; i < 20; i++) {
      const e = event();
      const res = await deliver(e);
      expect(res.status).toBe(202);
      acknowledged.push(e.eventId);
    }

    await redisServer.stop('SIGKILL');

    const refused: ReturnType<typeof event>[] = [];
    for (let i = 0; i < 5; i++) {
      const e = event();
      const res = await deliver(e);
      expect(res.status).toBe(503);
      expect(res.retryAfter).not.toBeNull();
      expect(res.body).toMatchObject({ error: { code: 'UNAVAILABLE' } });
      refused.push(e);
    }
    // Unsigned requests need no Redis to be refused, and vital signs tell the truth.
    const unsigned = await fetch(`${ingress.url}/webhooks/sms/status`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(ANSWER_BOUND_MS) });
    expect(unsigned.status).toBe(401);
    expect((await fetch(`${ingress.url}/healthz`, { signal: AbortSignal.timeout(ANSWER_BOUND_MS) })).status).toBe(200);
    const ready = await fetch(`${ingress.url}/readyz`, { signal: AbortSignal.timeout(ANSWER_BOUND_MS * 2) });
    expect(ready.status).toBe(503);
    // The admin surface degrades the same way, and /metrics is still served (without depths).
    const admin = { authorization: 'Bearer tok' };
    const board = await fetch(`${ingress.url}/admin/queues/api/queues`, { headers: admin, signal: AbortSignal.timeout(ANSWER_BOUND_MS * 3) });
    expect(board.status).toBe(503);
    const dlq = await fetch(`${ingress.url}/api/dlq`, { headers: admin, signal: AbortSignal.timeout(ANSWER_BOUND_MS * 3) });
    expect(dlq.status).toBe(503);
    expect(await dlq.json()).toMatchObject({ error: { code: 'UNAVAILABLE' } });
    const metrics = await fetch(`${ingress.url}/metrics`, { signal: AbortSignal.timeout(ANSWER_BOUND_MS * 3) });
    expect(metrics.status).toBe(200);

    await redisServer.start();

    // CXone retries what got a 503; so does this loop, bounded, until Redis is back for us.
    const deadline = Date.now() + 20_000;
    let first = refused[0]!;
    let res = await deliver(first, 5_000).catch(() => ({ status: 0 }));
    while (res.status !== 202 && res.status !== 200) {
      if (Date.now() > deadline) throw new Error(`ingress did not recover: last status ${res.status}`);
      await new Promise((r) => setTimeout(r, 100));
      res = await deliver(first, 5_000).catch(() => ({ status: 0 }));
    }
    for (first of refused.slice(1)) expect([200, 202]).toContain((await deliver(first)).status);
    for (let i = 0; i < 5; i++) {
      const e = event();
      expect((await deliver(e)).status).toBe(202);
      acknowledged.push(e.eventId);
    }
    acknowledged.push(...refused.map((e) => e.eventId));

    const queue = deps.queues.get('smsStatus');
    for (const id of acknowledged) {
      expect(await queue.getJob(jobIdOf('sms-status', id)), id).toBeDefined();
    }
    expect(await queue.count()).toBe(acknowledged.length);
    expect((await fetch(`${ingress.url}/readyz`)).status).toBe(200);
  });

  it('answers 503 within a second while Redis hangs (frozen, socket open), then recovers', async () => {
    const before = event();
    expect((await deliver(before)).status).toBe(202);
    redisServer.freeze();
    const hung: ReturnType<typeof event>[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const e = event();
        const res = await deliver(e);
        expect(res.status).toBe(503);
        hung.push(e);
      }
    } finally {
      redisServer.thaw();
    }
    // A write that timed out may still land once Redis wakes: the retry is then a duplicate.
    const deadline = Date.now() + 20_000;
    for (const e of hung) {
      let status = 0;
      while (status !== 200 && status !== 202) {
        if (Date.now() > deadline) throw new Error(`no recovery after the freeze (last ${status})`);
        status = (await deliver(e, 5_000).catch(() => ({ status: 0 }))).status;
      }
    }
    const queue = deps.queues.get('smsStatus');
    for (const e of [before, ...hung]) expect(await queue.getJob(jobIdOf('sms-status', e.eventId))).toBeDefined();
  });
});
