// A private redis-server on a free port, for tests that stop Redis (outage handling). The
// machine's shared Redis is never touched. With AOF fsync'd on every write, a SIGKILL loses
// nothing that Redis acknowledged, so a restart on the same port shows what survived.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EphemeralRedis {
  readonly port: number;
  readonly url: string;
  /** Its data directory (the AOF lives in appendonlydir/ below it). */
  readonly dir: string;
  /** Starts (again) on the same port and data directory; resolves once it accepts connections. */
  start(): Promise<void>;
  /** SIGKILL by default: an outage, not a polite shutdown. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** SIGSTOP: the socket stays open but nothing answers (a hung Redis, not a closed one). */
  freeze(): void;
  /** SIGCONT after freeze(). */
  thaw(): void;
  /** Stops and deletes the data directory. */
  destroy(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface EphemeralRedisOptions {
  readyTimeoutMs?: number;
  /** A fixed port (the chaos suite's); default a free one. */
  port?: number;
  /** AOF fsync policy; default always (nothing acknowledged is lost to a SIGKILL). */
  appendfsync?: 'always' | 'everysec';
}

export async function startEphemeralRedis(opts: EphemeralRedisOptions = {}): Promise<EphemeralRedis> {
  const port = opts.port ?? (await freePort());
  const dir = await mkdtemp(join(tmpdir(), 'cxf-redis-'));
  const readyTimeoutMs = opts.readyTimeoutMs ?? 10_000;
  let child: ChildProcess | undefined;

  const start = () =>
    new Promise<void>((resolve, reject) => {
      const proc = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', opts.appendfsync ?? 'always'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child = proc;
      let output = '';
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`redis-server on port ${port} not ready after ${readyTimeoutMs} ms:\n${output}`));
      }, readyTimeoutMs);
      proc.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      proc.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`cannot spawn redis-server (apt-get install redis-server): ${err.message}`));
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited early (${code}):\n${output}`));
      });
    });

  const stop = async (signal: NodeJS.Signals = 'SIGKILL') => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill(signal);
    });
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    start,
    stop,
    freeze: () => void child?.kill('SIGSTOP'),
    thaw: () => void child?.kill('SIGCONT'),
    async destroy() {
      child?.kill('SIGCONT');
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
