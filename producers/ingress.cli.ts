import { Command } from 'commander';
import { intOption } from '../src/cli/options.ts';

export function ingressCommand(): Command {
  return new Command('ingress')
    .description('serve CXone webhooks, the control API (/api) and the admin dashboard (/admin/queues)')
    .option('-p, --port <port>', 'port (default INGRESS_PORT)', intOption('--port'))
    .option('--host <host>', 'address to bind (default INGRESS_HOST)')
    .action(async (o: { port?: number; host?: string }) => {
      const [{ loadConfig }, { startFleetIngress }, { createLogger }, { installShutdown }] = await Promise.all([
        import('../src/config.ts'),
        import('../src/fleet-ingress.ts'),
        import('../src/logger.ts'),
        import('../src/runtime.ts'),
      ]);
      const config = loadConfig();
      const logger = createLogger({ level: config.logLevel, name: 'cxone-fleet:ingress' });
      const ingress = await startFleetIngress(config, logger, o);
      installShutdown(() => ingress.shutdown(), logger, config.worker.shutdownTimeoutMs);
    });
}
