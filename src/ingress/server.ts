// Listening and graceful close. close() stops accepting, lets in-flight requests finish
// (keep-alive clients are told Connection: close), and after `drainTimeoutMs` cuts what is
// left. Queues and Redis are closed by the owner of the deps, after this resolves.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type IngressApp, type IngressDeps } from './app.ts';

export interface StartIngressOptions extends IngressDeps {
  host: string;
  port: number;
  /** How long close() waits for in-flight requests (default 10 s). */
  drainTimeoutMs?: number;
}

export interface RunningIngress {
  url: string;
  port: number;
  server: Server;
  ingress: IngressApp;
  close(): Promise<void>;
}

export async function startIngress(opts: StartIngressOptions): Promise<RunningIngress> {
  const ingress = createApp(opts);
  const server = createServer(ingress.handle);
  // Longer than typical load-balancer idle timeouts, so the balancer closes first.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`;
  opts.logger.info({ url }, 'ingress listening');

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= new Promise<void>((resolve) => {
      ingress.startDraining();
      const timer = setTimeout(() => {
        opts.logger.warn('drain timed out: closing remaining connections');
        server.closeAllConnections();
      }, opts.drainTimeoutMs ?? 10_000);
      timer.unref();
      server.close(() => {
        clearTimeout(timer);
        opts.logger.info('ingress closed');
        resolve();
      });
      server.closeIdleConnections();
    }));

  return { url, port, server, ingress, close };
}
