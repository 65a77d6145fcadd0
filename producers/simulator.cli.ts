import { writeSync } from 'node:fs';
import { Command, Option } from 'commander';
import { LIMIT_MODES, type RateLimitConfig } from '../src/simulator/config.ts';
import { intOption, numberOption, repeatableOption } from '../src/cli/options.ts';
import { EXIT } from '../src/cli/exit-codes.ts';

export function simulatorCommand(): Command {
  return new Command('simulator')
    .description('run the CXone simulator (tests, demo and benchmarks; never production)')
    .option('-p, --port <port>', 'port to listen on', intOption('--port'), 4010)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--rps <n>', 'per-account rate limit in requests/s (0 = none)', numberOption('--rps'), 0)
    .addOption(new Option('--limit-mode <mode>', 'how the limit counts: sliding second, token bucket, fixed per-minute window, or sliding with 429s that carry no Retry-After').choices(LIMIT_MODES).default('sliding'))
    .option('--limit-burst <n>', 'token-bucket capacity (default 50 ms of --rps)', intOption('--limit-burst', 1))
    .option('--limit-per-min <n>', 'fixed-minute budget (default 60 x --rps)', intOption('--limit-per-min', 1))
    .option('--token-lifetime <s>', 'OAuth token lifetime in seconds', intOption('--token-lifetime', 1), 3600)
    .option('--webhook-url <url>', 'POST signed delivery-status webhooks here')
    .addOption(new Option('--webhook-secret <secret>', 'HMAC secret for webhooks').env('SIM_WEBHOOK_SECRET').default('dev-webhook-secret'))
    // The fleet's own credential variables, so one env file serves both (compose's sim profile).
    .addOption(new Option('--client-id <id>', 'the OAuth client it accepts').env('CXONE_CLIENT_ID').default('demo-client'))
    .addOption(new Option('--client-secret <secret>', 'that client\'s secret').env('CXONE_CLIENT_SECRET').default('demo-secret'))
    .option('--sim-account <spec>', 'one more account, <account>=<clientId>:<clientSecret>[:<rps>] (repeatable)', repeatableOption)
    .option('--latency <ms>', 'added latency per API call', intOption('--latency'), 0)
    .option('--error-rate <p>', 'share of API calls answered 5xx', numberOption('--error-rate', 0, 1), 0)
    .option('--drop-rate <p>', 'share of API calls whose connection is dropped', numberOption('--drop-rate', 0, 1), 0)
    .option('--timeout-rate <p>', 'share of API calls never answered', numberOption('--timeout-rate', 0, 1), 0)
    // For a parent process (the demo, benchmarks): `{"url": ...}` on this descriptor once
    // listening, so it can use --port 0 and need not parse the log.
    .addOption(new Option('--ready-fd <fd>', 'write {"url"} to this file descriptor once listening').argParser(intOption('--ready-fd', 3)).hideHelp())
    .action(async (o: { port: number; host: string; rps: number; limitMode: RateLimitConfig['mode']; limitBurst?: number; limitPerMin?: number; tokenLifetime: number; webhookUrl?: string; webhookSecret: string; clientId: string; clientSecret: string; simAccount?: string[]; latency: number; errorRate: number; dropRate: number; timeoutRate: number; readyFd?: number }) => {
      const [{ createLogger }, { startSimulator }] = await Promise.all([import('../src/logger.ts'), import('../src/simulator/server.ts')]);
      const { DEFAULT_CLIENT, parseSimAccount } = await import('../src/simulator/config.ts');
      const extra = (o.simAccount ?? []).map(parseSimAccount);
      const { logLevelSetting } = await import('../src/config.ts');
      const logger = createLogger({ level: logLevelSetting('info'), name: 'cxone-simulator' });
      const sim = await startSimulator({
        host: o.host,
        port: o.port,
        tokenLifetimeS: o.tokenLifetime,
        clients: [{ ...DEFAULT_CLIENT, clientId: o.clientId, clientSecret: o.clientSecret }, ...extra.map((a) => a.client)],
        accountRateLimits: Object.fromEntries(extra.flatMap((a) => (a.rps === undefined ? [] : [[a.client.accountId, { rps: a.rps }]]))),
        rateLimit: o.rps > 0 ? { rps: o.rps, mode: o.limitMode, burst: o.limitBurst, perMin: o.limitPerMin } : null,
        faults: { latencyMs: o.latency, errorRate: o.errorRate, dropRate: o.dropRate, timeoutRate: o.timeoutRate },
        webhooks: o.webhookUrl ? { url: o.webhookUrl, secret: o.webhookSecret } : null,
        logger,
      });
      logger.info({ url: sim.url }, 'CXone simulator listening (stats at /_sim/stats)');
      if (o.readyFd !== undefined) writeSync(o.readyFd, `${JSON.stringify({ url: sim.url })}\n`);
      const stop = () => void sim.close().then(() => process.exit(EXIT.ok));
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}
