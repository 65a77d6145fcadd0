// The server half of bench/ingress.bench.ts, in its own process so the load generator does
// not share an event loop with it: the ingress (real Redis, unique prefix) and a bare
// Express hello-world on another port. Prints one JSON line with both URLs; on SIGTERM it
// closes, deletes its keys and exits.
import { destination } from 'pino';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { createIngressDeps } from '../src/ingress/deps.ts';
import { startIngress } from '../src/ingress/server.ts';
import { deleteKeysWithPrefix } from '../src/redis.ts';

const prefix = process.env.BENCH_PREFIX ?? `{cxf-bench-${process.pid}}`;
const config = loadConfig({
  ...process.env,
  FLEET_PREFIX: prefix,
  WEBHOOK_SECRETS: process.env.BENCH_SECRET ?? 'bench-secret',
  ADMIN_USER: undefined,
  ADMIN_PASSWORD: undefined,
  ADMIN_TOKEN: undefined,
});
// Per-request log lines are produced and serialized as in production, then discarded.
const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'info' }, destination({ dest: '/dev/null', sync: false }));
const deps = createIngressDeps(config, logger);
// What-if knob: ioredis auto-pipelining on the client connection (BENCH_AUTO_PIPELINING=1).
if (process.env.BENCH_AUTO_PIPELINING === '1') deps.redis.options.enableAutoPipelining = true;
const ingress = await startIngress({ ...deps, host: '127.0.0.1', port: 0 });

const hello = express();
hello.get('/hello', (_req, res) => {
  res.send('hello world');
});
const helloServer = hello.listen(0, '127.0.0.1');
await new Promise((r) => helloServer.once('listening', r));
const helloUrl = `http://127.0.0.1:${(helloServer.address() as AddressInfo).port}/hello`;

process.stdout.write(`${JSON.stringify({ ingressUrl: ingress.url, helloUrl })}\n`);

// CPU time is reported on request, so the bench can print server CPU per request, a figure
// that other processes on a busy machine disturb less than throughput.
process.on('message', (msg) => {
  if (msg === 'cpu') process.send?.({ cpu: process.cpuUsage() });
});

process.once('SIGTERM', () => {
  void (async () => {
    await ingress.close();
    await new Promise((r) => helloServer.close(r));
    await deleteKeysWithPrefix(deps.redis, prefix);
    await deps.close();
    process.exit(0);
  })();
});
