import { Command } from 'commander';
import { intOption, listOption } from '../src/cli/options.ts';

export function workerCommand(): Command {
  return new Command('worker')
    .description('run the workers of the named queues (all by default) until SIGTERM/SIGINT')
    .option('-q, --queues <names>', 'comma-separated queue names, e.g. sms-send,sms-status', listOption)
    .option('-c, --concurrency <n>', 'jobs processed at once per queue in this process', intOption('--concurrency', 1))
    .option('--metrics-port <port>', 'serve /metrics, /healthz and /readyz on this port (default METRICS_PORT; 0 = none)', intOption('--metrics-port'))
    .option('--metrics-host <host>', 'address for them (default METRICS_HOST)')
    .option('--accounts <ids>', 'serve these CXone accounts of CXONE_ACCOUNTS_FILE in this process (comma-separated, or all)', listOption)
    .action(async (opts: { queues?: string[]; concurrency?: number; metricsPort?: number; metricsHost?: string; accounts?: string[] }) => {
      const { runWorkers } = await import('../workers/main.ts');
      await runWorkers(opts);
    });
}
