// The ingress as the fleet runs it: webhooks, dashboard and control API from src/ingress,
// plus the routes of each domain module mounted on the control API.
import type { Config } from './config.ts';
import { createIngressDeps } from './ingress/deps.ts';
import { sampleQueueDepth } from './ingress/metrics-route.ts';
import { redisAnswers, startOpsServer } from './metrics-server.ts';
import { startIngress, type RunningIngress } from './ingress/server.ts';
import type { Logger } from './logger.ts';
import { waitForReady } from './redis.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { DOMAIN_MODULES, registerDomainMetrics } from './platform/modules.ts';

export async function startFleetIngress(
  config: Config,
  logger: Logger,
  opts: { host?: string; port?: number; metrics?: Metrics } = {},
): Promise<RunningIngress & { opsUrl: string | undefined; shutdown(): Promise<void> }> {
  const deps = createIngressDeps(config, logger, opts.metrics ?? createMetrics({ defaultMetrics: true, labels: { role: 'ingress' } }));
  // Give Redis a moment so the first requests are not refused; if it stays down the
  // ingress still starts and answers 503 (CXone retries) until it is back.
  await waitForReady(deps.redis, 3_000).catch(() => logger.warn('Redis is not answering yet: webhooks get 503 until it does'));
  await registerDomainMetrics(deps.metrics.registry);
  // Loaded before listening, so the routes are there from the first request.
  const registrars = await Promise.all(DOMAIN_MODULES.map((m) => m.routes?.() ?? Promise.resolve(undefined)));
  const running = await startIngress({ ...deps, host: opts.host ?? config.ingress.host, port: opts.port ?? config.ingress.port });
  for (const register of registrars) register?.(running.ingress.apiRouter, deps);
  const ops =
    config.ingress.metricsPort === undefined
      ? undefined
      : await startOpsServer({
          registry: deps.metrics.registry,
          host: config.ops.host,
          port: config.ingress.metricsPort,
          metricsToken: config.ops.token,
          ready: async () => {
            const redisOk = await redisAnswers(deps.redis);
            return { ready: redisOk, checks: { redis: redisOk ? 'ok' : 'down' } };
          },
          beforeScrape: () => sampleQueueDepth(deps.queues, deps.metrics),
        });
  if (ops) logger.info({ url: ops.url }, 'ingress metrics listening (/metrics, /healthz, /readyz)');
  return {
    ...running,
    opsUrl: ops?.url,
    async shutdown() {
      await ops?.close();
      await running.close();
      await deps.close();
    },
  };
}
