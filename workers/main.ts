// `cxone-fleet worker`: runs the workers of the named queues (all by default) in this
// process, serves /metrics, /healthz and /readyz on METRICS_HOST:METRICS_PORT when a port
// is set, and shuts down on SIGTERM/SIGINT. The processors come from the domain modules.
import { loadConfig } from '../src/config.ts';
import { startOpsServer, workerReadiness } from '../src/metrics-server.ts';
import { loadWorkerTable, registerDomainMetrics } from '../src/platform/modules.ts';
import { createRuntime, installShutdown } from '../src/runtime.ts';
import { resolveQueueSelection, startWorkerPool } from '../src/worker-pool.ts';

export async function runWorkers(opts: { queues?: string[]; concurrency?: number; metricsPort?: number; metricsHost?: string }) {
  const config = loadConfig();
  const processors = await loadWorkerTable();
  const keys = resolveQueueSelection(opts.queues, processors);
  const rt = createRuntime(config, { role: 'worker' });
  await registerDomainMetrics(rt.metrics.registry);
  const pool = startWorkerPool(rt, processors, keys, opts.concurrency ?? config.worker.concurrency);
  const port = opts.metricsPort ?? config.worker.metricsPort;
  const ops = port
    ? await startOpsServer({
        registry: rt.metrics.registry,
        port,
        host: opts.metricsHost ?? config.ops.host,
        metricsToken: config.ops.token,
        ready: workerReadiness(rt.redis, pool.workers),
      })
    : undefined;
  if (ops) rt.logger.info({ url: ops.url }, 'worker metrics listening (/metrics, /healthz, /readyz)');
  installShutdown(
    async () => {
      await ops?.close();
      await pool.close();
    },
    rt.logger,
    config.worker.shutdownTimeoutMs,
  );
  return pool;
}
