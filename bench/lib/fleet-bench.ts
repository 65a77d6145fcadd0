// Shared pieces of the fleet benchmarks: real worker processes started through the CLI,
// waits on the simulator (in a process of its own: src/simulator/process.ts), and a
// private Redis prefix that is removed afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { createRedis, deleteKeysWithPrefix } from '../../src/redis.ts';
import type { SimulatorProcess } from '../../src/simulator/process.ts';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Set to run the fleet benches on a Redis Cluster (scripts/redis-cluster.mjs starts a local one). */
const REDIS_CLUSTER_NODES = process.env.REDIS_CLUSTER_NODES?.trim() || undefined;
/**
 * What a bench gives the fleet's config and worker processes: REDIS_URL, and the cluster's
 * nodes when there is one. Redis CPU and command figures (INFO) are then one node's only.
 */
export const REDIS_ENV: Record<string, string> = { REDIS_URL, ...(REDIS_CLUSTER_NODES ? { REDIS_CLUSTER_NODES } : {}) };

/**
 * CPU time the Redis server has used so far (user + system), in µs, from INFO cpu: the whole
 * server's, so a Redis shared with anything else (tests, other benches) inflates it.
 */
export async function redisCpuMicros(redis: Pick<Redis, 'info'>): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
}

/**
 * Calls of each Redis command the server has served so far, and the µs it spent in them
 * (INFO commandstats; whole server; a script's inner commands count both on their own and
 * inside EVALSHA's time).
 */
export async function redisCommandCalls(redis: Pick<Redis, 'info'>): Promise<Record<string, { calls: number; usec: number }>> {
  const info = await redis.info('commandstats');
  return Object.fromEntries([...info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)].map((m) => [m[1]!, { calls: Number(m[2]), usec: Number(m[3]) }]));
}

/**
 * The simulator's scheduling: normal by default, as the machine is. With
 * BENCH_SIM_SCHEDULING=realtime it gets the CPU ahead of everything else (SCHED_FIFO via
 * `chrt`; needs root or CAP_SYS_NICE; a bench may ask per round): it stands for CXone, whose edge does not share two
 * cores with the fleet, and when starved here it stamps the calls that waited all at once.
 * Says which it got.
 */
export async function prioritiseSimulator(pid: number, scheduling = process.env.BENCH_SIM_SCHEDULING): Promise<'realtime' | 'normal'> {
  if (scheduling !== 'realtime') return 'normal';
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    execFile('chrt', ['--all-tasks', '--fifo', '--pid', '10', String(pid)], (err) => resolve(err ? 'normal' : 'realtime'));
  });
}

export function benchPrefix(label: string): string {
  return `{cxfb-${label}-${randomBytes(3).toString('hex')}}`;
}

// BENCH_WORKER_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the workers.
const workerNodeArgs = (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);

export interface BenchWorker {
  process: ChildProcess;
  /** Where the worker serves its Prometheus metrics. */
  metricsUrl: string;
}

/** A port nobody listens on right now (the kernel picks it). */
async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function spawnWorkers(n: number, env: Record<string, string>, args: string[] = []): Promise<BenchWorker[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const port = await freePort();
      const child = spawn(process.execPath, [...workerNodeArgs, 'bin/cxone-fleet.js', 'worker', ...args], {
        env: { ...process.env, LOG_LEVEL: 'warn', ...env, METRICS_PORT: String(port) },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      return { process: child, metricsUrl: `http://127.0.0.1:${port}/metrics` };
    }),
  );
}

/** Resolves once every worker serves its metrics, i.e. has loaded its code and started. */
export async function waitUntilServing(workers: BenchWorker[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const w of workers) {
    for (;;) {
      const ok = await fetch(w.metricsUrl).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`worker ${w.process.pid} did not start within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function stopWorkers(workers: BenchWorker[]): Promise<void> {
  await Promise.all(
    workers.map(async ({ process: w }) => {
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

/** CPU time (user + system) each process has used so far, in µs, read from /proc. */
export async function processCpuMicros(pids: number[]): Promise<number[]> {
  const { readFile } = await import('node:fs/promises');
  return Promise.all(
    pids.map(async (pid) => {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      // Fields after the command name (which may hold spaces) start at index 3 = state.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11] ?? 0) + Number(fields[12] ?? 0); // utime, stime
      return (ticks / 100) * 1e6; // USER_HZ is 100 on Linux
    }),
  );
}

/** Polls the simulator's counter until it reaches `target` or `timeoutMs` passes. */
export async function waitForAccepted(sim: SimulatorProcess, target: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await sim.stats()).sms.accepted >= target) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

/** Resolves once the queue has nothing waiting, delayed or active. */
export async function waitForDrained(queue: Queue, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active');
    if (Object.values(c).every((n) => n === 0)) return;
    if (Date.now() > deadline) throw new Error(`queue ${queue.name} still busy after ${timeoutMs} ms: ${JSON.stringify(c)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function deletePrefix(prefix: string): Promise<void> {
  const redis = createRedis({ url: REDIS_URL, clusterNodes: REDIS_CLUSTER_NODES?.split(',') }, 'commands');
  await deleteKeysWithPrefix(redis, prefix);
  await redis.quit();
}
