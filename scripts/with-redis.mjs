#!/usr/bin/env node
// Runs a command with a Redis that answers: REDIS_URL (default redis://127.0.0.1:6379) when
// it does, otherwise an ephemeral `redis-server` on a free loopback port, stopped
// afterwards; otherwise it fails at once, saying how to get Redis.
import { spawn, spawnSync } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');

function ping(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const sock = createConnection({ host, port });
    const done = (ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => done(d.toString().startsWith('+PONG') || d.toString().startsWith('-NOAUTH')));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function startEphemeral() {
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    console.error(
      `No Redis answers at ${url.host} and redis-server is not installed.\n` +
        'Install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_URL.',
    );
    process.exit(2);
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'cxf-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 100 && !(await ping('127.0.0.1', port, 200)); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!(await ping('127.0.0.1', port))) {
    console.error('ephemeral redis-server did not start');
    child.kill('SIGKILL');
    process.exit(2);
  }
  console.error(`with-redis: started an ephemeral redis-server on 127.0.0.1:${port}`);
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () => {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const [cmd, ...args] = process.argv.slice(2);
if (!cmd) {
  console.error('usage: with-redis <command> [args...]');
  process.exit(2);
}

let redisUrl = url.toString();
let stop = () => {};
if (!(await ping(url.hostname, Number(url.port || 6379)))) {
  const eph = await startEphemeral();
  redisUrl = eph.url;
  stop = eph.stop;
}

const child = spawn(cmd, args, { stdio: 'inherit', env: { ...process.env, REDIS_URL: redisUrl }, shell: false });
const forward = (sig) => child.kill(sig);
process.on('SIGINT', forward);
process.on('SIGTERM', forward);
child.on('exit', (code, signal) => {
  stop();
  process.exit(code ?? (signal ? 1 : 0));
});
