// Finds a Redis that answers, or starts an ephemeral Debian `redis-server` on a free
// loopback port (for the demo and the test command; never for production).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function pingRedis(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => done(/^(\+PONG|-NOAUTH)/.test(d.toString())));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface LocalRedis {
  url: string;
  /** True when this call started the server (and stop() will end it). */
  started: boolean;
  stop(): void;
}

export const HOW_TO_GET_REDIS =
  'Install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_URL to a Redis that answers.';

export async function ensureRedis(redisUrl: string): Promise<LocalRedis> {
  const url = new URL(redisUrl);
  if (await pingRedis(url.hostname, Number(url.port || 6379))) return { url: redisUrl, started: false, stop() {} };
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    throw new Error(`No Redis answers at ${url.host} and redis-server is not installed. ${HOW_TO_GET_REDIS}`);
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'cxf-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: 'ignore',
  });
  const stop = () => {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i++) {
    if (await pingRedis('127.0.0.1', port, 200)) return { url: `redis://127.0.0.1:${port}`, started: true, stop };
    await new Promise((r) => setTimeout(r, 50));
  }
  stop();
  throw new Error('an ephemeral redis-server did not start within 5 s');
}
