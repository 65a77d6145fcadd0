// Shared pieces of the fleet benchmarks: real worker processes started through the CLI,
// the simulator in this process, and a private Redis prefix that is removed afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { SimProcess } from './sim-process.ts';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** CPU time the Redis server has used so far (user + system), in µs, from INFO cpu. */
export async function redisCpuMicros(redis: Pick<Redis, 'info'>): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
}

export function benchPrefix(label: string): string {
  return `{cxfb-${label}-${randomBytes(3).toString('hex')}}`;
}

// BENCH_WORKER_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the workers.
const workerNodeArgs = (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);

export function spawnWorkers(n: number, env: Record<string, string>, args: string[] = []): ChildProcess[] {
  return Array.from({ length: n }, () =>
    spawn(process.execPath, [...workerNodeArgs, 'bin/cxone-fleet.js', 'worker', ...args], {
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    }),
  );
}

export async function stopWorkers(workers: ChildProcess[]): Promise<void> {
  await Promise.all(
    workers.map(async (w) => {
      if (w.exitCode !== null) return;
      w.kill('SIGTERM');
      await once(w, 'exit');
    }),
  );
}

/** Resident set size of each process, in MiB, read from /proc. */
export async function rssMiB(pids: number[]): Promise<number[]> {
  const { readFile } = await import('node:fs/promises');
  return Promise.all(
    pids.map(async (pid) => {
      const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      return Math.round(kb / 1024);
    }),
  );
}

/** Polls the simulator's counter until it reaches `target` or `timeoutMs` passes. */
export async function waitForAccepted(sim: SimProcess, target: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await sim.stats()).sms.accepted >= target) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

export async function deletePrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== '0');
  await redis.quit();
}
