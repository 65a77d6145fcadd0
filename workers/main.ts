// `cxone-fleet worker`: runs the workers of the named queues (all by default) in this
// process, for one CXone account or several (--accounts), serves /metrics, /healthz and
// /readyz on METRICS_HOST:METRICS_PORT when a port is set, and shuts down on SIGTERM/SIGINT.
// The processors come from the domain modules.
import { loadAccountConfigs, loadConfig } from '../src/config.ts';
import { createMetrics } from '../src/metrics.ts';
import { startOpsServer, workerReadiness } from '../src/metrics-server.ts';
import { loadWorkerTable, registerDomainMetrics } from '../src/platform/modules.ts';
import { installShutdown } from '../src/runtime.ts';
import { resolveQueueSelection, startAccountPools } from '../src/worker-pool.ts';

export async function runWorkers(opts: { queues?: string[]; concurrency?: number; metricsPort?: number; metricsHost?: string; accounts?: string[] }) {
  const configs = opts.accounts?.length ? loadAccountConfigs(opts.accounts) : [loadConfig()];
  // What is not an account's (ports, timeouts) is the same in every one of them.
  const config = configs[0]!;
  const processors = await loadWorkerTable();
  const keys = resolveQueueSelection(opts.queues, processors);
  const metrics = createMetrics({ defaultMetrics: true, labels: { role: 'worker' } });
  await registerDomainMetrics(metrics.registry);
  const pool = startAccountPools(configs, processors, keys, { concurrency: opts.concurrency ?? config.worker.concurrency, metrics });
  const rt = pool.runtimes[0]!;
  const port = opts.metricsPort ?? config.worker.metricsPort;
  const ops = port
    ? await startOpsServer({
        registry: metrics.registry,
        port,
        host: opts.metricsHost ?? config.ops.host,
        metricsToken: config.ops.token,
        ready: workerReadiness(rt.redis, pool.workers),
      })
    : undefined;
  if (ops) rt.logger.info({ url: ops.url }, 'worker metrics listening (/metrics, /healthz, /readyz)');
  if (configs.length > 1) rt.logger.info({ accounts: configs.map((c) => c.cxone.accountId) }, 'serving several CXone accounts');
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
