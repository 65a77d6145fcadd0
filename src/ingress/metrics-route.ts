// GET /metrics in Prometheus text format. Queue depth is sampled at scrape time (one
// getJobCounts per queue); when Redis is down the gauges are left as they were and the
// rest of the registry is still served.
import type { Express } from 'express';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { QueueSet } from '../queues/queue-set.ts';
import { ALL_QUEUE_KEYS, QUEUES } from '../queues/registry.ts';
import { setRoute } from './context.ts';
import { bearerMatches } from './admin-auth.ts';
import { ErrorCode } from '../errors.ts';
import { RedisUnavailableError, sendError, withTimeout } from './http-error.ts';

// BullMQ 6 has no 'paused' job state: a paused queue's jobs stay 'waiting'.
export const DEPTH_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'] as const;

export async function sampleQueueDepth(queues: QueueSet, metrics: Metrics): Promise<void> {
  await Promise.all(
    ALL_QUEUE_KEYS.map(async (key) => {
      const counts = await queues.get(key).getJobCounts(...DEPTH_STATES);
      for (const state of DEPTH_STATES) {
        metrics.queueDepth.set({ queue: QUEUES[key].name, state }, counts[state] ?? 0);
      }
    }),
  );
}

export function mountMetrics(app: Express, deps: { metrics: Metrics; queues: QueueSet; logger: Logger; timeoutMs?: number; token?: string }): void {
  app.get('/metrics', async (req, res) => {
    setRoute(res, '/metrics');
    if (deps.token && !bearerMatches(req.headers.authorization, deps.token)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      sendError(res, ErrorCode.Unauthorized, 'metrics require Authorization: Bearer <METRICS_TOKEN>');
      return;
    }
    try {
      await withTimeout(sampleQueueDepth(deps.queues, deps.metrics), deps.timeoutMs ?? 1_000, () => new RedisUnavailableError('queue depth timed out'));
    } catch (err) {
      deps.logger.warn({ err }, 'queue depth not sampled');
    }
    res.setHeader('Content-Type', deps.metrics.registry.contentType);
    res.send(await deps.metrics.registry.metrics());
  });
}
