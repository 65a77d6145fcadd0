// The simulator in a process of its own, started through the CLI, as CXone is a system of
// its own. Sharing an event loop with whatever drives it (the demo's ingress and progress
// bar, a benchmark) would stamp requests late whenever that code is busy, bunching them
// into a burst no real network would make, and count 429s the fleet never earned.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cliEntryArgs } from '../cli-entry.ts';
import { environmentWith } from '../config.ts';
import type { SimulatorStats } from './server.ts';

const CLI = cliEntryArgs();
/** The child writes its address here once it listens (stdout stays the log's). */
const READY_FD = 3;

export interface SimulatorProcessOptions {
  /** Per-account limit in requests/s; 0 or absent: none. */
  rps?: number;
  /** Extra Node.js flags for the child (e.g. profiling). */
  nodeArgs?: string[];
  env?: Record<string, string>;
  /** More `cxone-fleet simulator` options, e.g. ['--sim-account', 'acme=acme-client:secret:50']. */
  args?: string[];
}

export interface SimulatorProcess {
  url: string;
  pid: number;
  stats(): Promise<SimulatorStats>;
  /** POST /_sim/reset: counters, rate windows, idempotency memory, pending webhooks. */
  reset(): Promise<void>;
  /** POST /_sim/config: a section set to null is cleared. */
  configure(patch: Record<string, unknown>): Promise<void>;
  stop(): Promise<void>;
}

export async function startSimulatorProcess(opts: SimulatorProcessOptions = {}): Promise<SimulatorProcess> {
  const args = [...(opts.nodeArgs ?? []), ...CLI, 'simulator', '--port', '0', '--ready-fd', String(READY_FD)];
  if (opts.rps) args.push('--rps', String(opts.rps));
  args.push(...(opts.args ?? []));
  const child = spawn(process.execPath, args, {
    env: environmentWith({ LOG_LEVEL: 'warn', ...opts.env }),
    stdio: ['ignore', 'ignore', 'inherit', 'pipe'],
  });
  const ready = child.stdio[READY_FD]!;
  const exited = once(child, 'exit').then(([code, signal]) => {
    throw new Error(`simulator process exited before it listened (code ${code}, signal ${signal})`);
  });
  const [chunk] = (await Promise.race([once(ready, 'data'), exited])) as [Buffer];
  const { url } = JSON.parse(chunk.toString()) as { url: string };
  exited.catch(() => undefined);
  return {
    url,
    pid: child.pid!,
    async stats() {
      const res = await fetch(`${url}/_sim/stats`);
      if (!res.ok) throw new Error(`simulator stats: HTTP ${res.status}`);
      return (await res.json()) as SimulatorStats;
    },
    async reset() {
      const res = await fetch(`${url}/_sim/reset`, { method: 'POST' });
      if (!res.ok) throw new Error(`simulator reset: HTTP ${res.status}`);
      await res.arrayBuffer();
    },
    async configure(patch) {
      const res = await fetch(`${url}/_sim/config`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(patch) });
      if (!res.ok) throw new Error(`simulator config: HTTP ${res.status} ${await res.text()}`);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
