// `cxone-fleet worker`: runs the workers of the named queues (all by default) in this
// process, serves /metrics on METRICS_PORT when set, and shuts down on SIGTERM/SIGINT.
import { loadConfig } from '../src/config.ts';
import { startMetricsServer } from '../src/metrics-server.ts';
import { createRuntime, installShutdown } from '../src/runtime.ts';
import { resolveQueueSelection, startWorkerPool, type ProcessorTable } from '../src/worker-pool.ts';
import { smsSendWorker } from './sms-send.worker.ts';
import { smsReconcileWorker } from './sms-reconcile.worker.ts';
import { smsStatusWorker } from './sms-status.worker.ts';
import { EMAIL_PROCESSORS } from './email.processors.ts';

export const PROCESSORS: ProcessorTable = {
  smsSend: smsSendWorker,
  smsStatus: smsStatusWorker,
  smsReconcile: smsReconcileWorker,
  ...EMAIL_PROCESSORS,
};

export async function runWorkers(opts: { queues?: string[]; concurrency?: number; metricsPort?: number }) {
  const config = loadConfig();
  const keys = resolveQueueSelection(opts.queues, PROCESSORS);
  const rt = createRuntime(config, { role: 'worker' });
  const pool = startWorkerPool(rt, PROCESSORS, keys, opts.concurrency ?? config.worker.concurrency);
  const port = opts.metricsPort ?? config.worker.metricsPort;
  const metrics = port ? await startMetricsServer(rt.metrics.registry, port, config.ingress.host) : undefined;
  if (metrics) rt.logger.info({ url: metrics.url }, 'worker metrics listening');
  installShutdown(
    async () => {
      await metrics?.close();
      await pool.close();
    },
    rt.logger,
    config.worker.shutdownTimeoutMs,
  );
  return pool;
}
