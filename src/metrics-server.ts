// The operations endpoints of a process on a port of its own: /metrics (Prometheus text,
// optionally behind a bearer token), /healthz (the process answers) and /readyz (it can do
// its work: the `ready` check passes). Worker processes serve it on METRICS_HOST:METRICS_PORT;
// the ingress can move its /metrics here too, off the port the internet reaches.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { ErrorCode, httpStatusOf, type ErrorCodeValue } from './errors.ts';
import { bearerMatches } from './ingress/admin-auth.ts';
import { errorBody } from './ingress/http-error.ts';
import type { RedisConnection } from './redis.ts';

export interface ReadyReport {
  ready: boolean;
  /** One word or short phrase per dependency, e.g. {redis: 'ok', workers: '2/2 running'}. */
  checks: Record<string, string>;
}

export interface OpsServerOptions {
  registry: Registry;
  port: number;
  host: string;
  /** When set, /metrics answers 401 without `Authorization: Bearer <token>`. */
  metricsToken?: string;
  ready: () => Promise<ReadyReport>;
  /** Runs before each scrape (e.g. sampling queue depth); a failure is logged by the caller, not fatal. */
  beforeScrape?: () => Promise<void>;
}

export interface OpsServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const json = (status: number, body: unknown) => ({ status, type: 'application/json', text: JSON.stringify(body) });
const refusal = (code: ErrorCodeValue, message: string) => json(httpStatusOf(code), errorBody(code, message));

export async function startOpsServer(o: OpsServerOptions): Promise<OpsServer> {
  const answer = async (method: string, path: string, authorization: string | undefined) => {
    if (method !== 'GET' && method !== 'HEAD') return refusal(ErrorCode.MethodNotAllowed, 'GET only');
    if (path === '/healthz') return json(200, { status: 'ok' });
    if (path === '/readyz') {
      const report = await o.ready().catch((err: Error) => ({ ready: false, checks: { error: err.message } }));
      return json(report.ready ? 200 : 503, { status: report.ready ? 'ready' : 'unavailable', ...report.checks });
    }
    if (path === '/metrics') {
      if (o.metricsToken && !bearerMatches(authorization, o.metricsToken)) {
        return refusal(ErrorCode.Unauthorized, 'metrics require Authorization: Bearer <METRICS_TOKEN>');
      }
      await o.beforeScrape?.().catch(() => undefined);
      return { status: 200, type: o.registry.contentType, text: await o.registry.metrics() };
    }
    return refusal(ErrorCode.NotFound, 'serves /metrics, /healthz and /readyz');
  };
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    answer(req.method ?? 'GET', path, req.headers.authorization).then(
      (a) => {
        if (a.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
        res.writeHead(a.status, { 'content-type': a.type, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : a.text);
      },
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shown = o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${shown}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

/** Redis answers PING within `timeoutMs`. */
export async function redisAnswers(redis: Pick<RedisConnection, 'ping'>, timeoutMs = 1_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  const pong = redis.ping().then(
    (r) => r === 'PONG',
    () => false,
  );
  return Promise.race([pong, late]).finally(() => clearTimeout(timer));
}

/** A worker process is ready while Redis answers and every one of its workers runs. */
export function workerReadiness(redis: Pick<RedisConnection, 'ping'>, workers: readonly { isRunning(): boolean }[]): () => Promise<ReadyReport> {
  return async () => {
    const redisOk = await redisAnswers(redis);
    const running = workers.filter((w) => w.isRunning()).length;
    return {
      ready: redisOk && running === workers.length && workers.length > 0,
      checks: { redis: redisOk ? 'ok' : 'down', workers: `${running}/${workers.length} running` },
    };
  };
}
