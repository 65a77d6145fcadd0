// A worker process's operations endpoints over real HTTP, with a real BullMQ worker and
// Redis: /healthz answers while the process does, /readyz only while Redis answers and
// every worker runs, and /metrics can require a token.
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/dev/local-redis.ts';
import { startOpsServer, workerReadiness, type OpsServer } from '../../src/metrics-server.ts';
import { createTestRedis, useTestRedis } from '../helpers/redis.ts';

const { redis, prefix } = useTestRedis('whealth');
const servers: OpsServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

describe('worker /healthz, /readyz and /metrics', () => {
  it('are ready while Redis answers and every worker runs, and say which is missing', async () => {
    const connection = createTestRedis('worker');
    const worker = new Worker('health-probe', () => Promise.resolve(undefined), { connection, prefix });
    await worker.waitUntilReady();
    const registry = new Registry();
    const ops = await startOpsServer({ registry, port: 0, host: '127.0.0.1', metricsToken: 'tok-0123456789abcdef', ready: workerReadiness(redis, [worker]) });
    servers.push(ops);

    expect(await (await fetch(`${ops.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${ops.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', redis: 'ok', workers: '1/1 running' });
    expect((await fetch(`${ops.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${ops.url}/metrics`, { headers: { authorization: 'Bearer tok-0123456789abcdef' } })).status).toBe(200);
    expect((await fetch(`${ops.url}/nope`)).status).toBe(404);

    await worker.close();
    const stopped = await fetch(`${ops.url}/readyz`);
    expect(stopped.status).toBe(503);
    expect(await stopped.json()).toEqual({ status: 'unavailable', redis: 'ok', workers: '0/1 running' });
    await connection.quit();
  });

  it('is not ready when Redis does not answer', async () => {
    const port = await freePort();
    const dead = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: true });
    dead.on('error', () => undefined);
    const ops = await startOpsServer({ registry: new Registry(), port: 0, host: '127.0.0.1', ready: workerReadiness(dead, [{ isRunning: () => true }]) });
    servers.push(ops);
    const res = await fetch(`${ops.url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'unavailable', redis: 'down', workers: '1/1 running' });
    expect((await fetch(`${ops.url}/healthz`)).status).toBe(200);
    dead.disconnect();
  });
});
