// Liveness (the process answers) and readiness (Redis answers and every queue's keys are
// reachable, which on Redis Cluster means the slot's node answers too).
import type { Express } from 'express';
import type { QueueSet } from '../queues/queue-set.ts';
import { QUEUES, ALL_QUEUE_KEYS } from '../queues/registry.ts';
import type { RedisConnection } from '../redis.ts';
import { setRoute } from './context.ts';
import { RedisUnavailableError, withTimeout } from './http-error.ts';

export function mountHealth(app: Express, deps: { redis: RedisConnection; queues: QueueSet; timeoutMs?: number }): void {
  const timeoutMs = deps.timeoutMs ?? 1_000;

  app.get('/healthz', (_req, res) => {
    setRoute(res, '/healthz');
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    setRoute(res, '/readyz');
    try {
      await withTimeout(
        (async () => {
          await deps.redis.ping();
          // One key per queue: touching each proves its slot is served.
          await Promise.all(ALL_QUEUE_KEYS.map((k) => deps.redis.exists(`${deps.queues.prefix}:${QUEUES[k].name}:meta`)));
        })(),
        timeoutMs,
        () => new RedisUnavailableError('readiness check timed out'),
      );
      res.json({ status: 'ready', redis: 'ok', queues: ALL_QUEUE_KEYS.length });
    } catch {
      res.setHeader('Retry-After', '2');
      res.status(503).json({ status: 'unavailable', redis: 'down' });
    }
  });
}
