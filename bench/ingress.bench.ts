// Benchmark of the SMS status webhook route against a bare Express hello-world on the same
// machine: accepted webhooks per second, p50/p99 latency, errors, and the ratio of the two.
// Run: tsx bench/ingress.bench.ts (needs Redis at REDIS_URL). Prints figures; asserts nothing.
// Options (env): BENCH_DURATION_S (10), BENCH_CONNECTIONS (50), BENCH_POOL (150000).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon, { type Result } from 'autocannon';
import { signWebhook } from '../src/webhook-signature.ts';

const duration = Number(process.env.BENCH_DURATION_S ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const poolSize = Number(process.env.BENCH_POOL ?? 150_000);
const secret = `bench-${randomBytes(8).toString('hex')}`;
const prefix = `{cxf-bench-${randomBytes(4).toString('hex')}}`;

// BENCH_SERVER_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the server side.
const serverArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
const server = spawn(process.execPath, [...serverArgs, '--import', 'tsx', fileURLToPath(new URL('./ingress-server.ts', import.meta.url))], {
  env: { ...process.env, BENCH_SECRET: secret, BENCH_PREFIX: prefix },
  stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
});
async function serverCpuMicros(): Promise<number> {
  const reply = new Promise<number>((resolve) => {
    server.once('message', (m: { cpu: { user: number; system: number } }) => resolve(m.cpu.user + m.cpu.system));
  });
  server.send('cpu');
  return reply;
}
const firstLine = await new Promise<string>((resolve, reject) => {
  server.once('exit', (code) => reject(new Error(`bench server exited (${code})`)));
  createInterface({ input: server.stdout! }).once('line', resolve);
});
const { ingressUrl, helloUrl } = JSON.parse(firstLine) as { ingressUrl: string; helloUrl: string };

// Distinct events, signed ahead of time with one timestamp, so the run measures the ingress
// and not the signer; the pool is large enough that nearly every request is a new event.
const nowMs = Date.now();
const run = randomBytes(3).toString('hex');
const pool = Array.from({ length: poolSize }, (_, i) => {
  const body = JSON.stringify({
    eventId: `bench-${run}-${i}`,
    messageId: `msg-${i}`,
    status: 'delivered',
    to: '+15551234567',
    timestamp: new Date(nowMs).toISOString(),
  });
  return { body, headers: { 'content-type': 'application/json', ...signWebhook(secret, body, nowMs) } };
});
let next = 0;

function cannon(opts: autocannon.Options): Promise<Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

const webhookOpts = (seconds: number): autocannon.Options => ({
  url: ingressUrl,
  connections,
  duration: seconds,
  requests: [
    {
      method: 'POST',
      path: '/webhooks/sms/status',
      setupRequest: (req) => {
        const item = pool[next++ % pool.length]!;
        return { ...req, body: item.body, headers: item.headers };
      },
    },
  ],
});

// Short warm-ups: JIT, connection pools, BullMQ's script loading.
await cannon({ ...webhookOpts(2) });
await cannon({ url: helloUrl, connections, duration: 2 });

const cpu0 = await serverCpuMicros();
const webhook = await cannon(webhookOpts(duration));
const cpu1 = await serverCpuMicros();
const hello = await cannon({ url: helloUrl, connections, duration });
const cpu2 = await serverCpuMicros();
const cpuPerWebhook = (cpu1 - cpu0) / webhook.requests.total;
const cpuPerHello = (cpu2 - cpu1) / hello.requests.total;

const codes = webhook.statusCodeStats as unknown as Record<string, { count: number }>;
const accepted = codes['202']?.count ?? 0;
const duplicates = codes['200']?.count ?? 0;
const acceptedPerS = accepted / webhook.duration;
const helloPerS = hello.requests.average;
const ratio = (accepted + duplicates) / webhook.duration / helloPerS;

const lines = [
  `ingress benchmark: ${connections} connections, ${duration} s each, loopback, Node ${process.version}`,
  `POST /webhooks/sms/status`,
  `  accepted (202)       ${accepted} (${acceptedPerS.toFixed(0)}/s)`,
  `  duplicates (200)     ${duplicates}`,
  `  2xx per second       ${((accepted + duplicates) / webhook.duration).toFixed(0)}`,
  `  latency p50 / p99    ${webhook.latency.p50} ms / ${webhook.latency.p99} ms (max ${webhook.latency.max} ms)`,
  `  errors / timeouts    ${webhook.errors} / ${webhook.timeouts}`,
  `  non-2xx              ${webhook.non2xx}`,
  `  server CPU/request   ${cpuPerWebhook.toFixed(0)} µs`,
  `GET /hello (bare Express)`,
  `  requests per second  ${helloPerS.toFixed(0)}`,
  `  latency p50 / p99    ${hello.latency.p50} ms / ${hello.latency.p99} ms`,
  `  server CPU/request   ${cpuPerHello.toFixed(0)} µs`,
  `ratio webhook 2xx/s ÷ hello rps: ${ratio.toFixed(2)} (target >= 0.5, p99 <= 20 ms)`,
];
process.stdout.write(`${lines.join('\n')}\n`);

server.kill('SIGTERM');
await new Promise((r) => server.once('exit', r));
