// Processes for SMS fault tests: the CLI as a user runs it (kept as a handle, so a test can
// kill it mid-intake or read its output as it comes) and sms-send worker processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterEach } from 'vitest';

export interface CliProcess {
  child: ChildProcess;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

const started: ChildProcess[] = [];

/** Call at the top of a test file: every process started is killed after each test. */
export function useProcesses(): void {
  afterEach(async () => {
    for (const c of started.splice(0)) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGKILL');
        await once(c, 'exit');
      }
    }
  });
}

export function startCli(args: string[], env: Record<string, string>): CliProcess {
  const child = spawn(process.execPath, ['bin/cxone-fleet.js', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** sms-send worker processes against the fleet `env` points at. */
export function startSendWorkers(env: Record<string, string>, count = 2): ChildProcess[] {
  return Array.from({ length: count }, () => {
    const child = spawn(process.execPath, ['bin/cxone-fleet.js', 'worker', '--queues', 'sms-send', '--concurrency', '16'], {
      env: { ...process.env, ...env },
      stdio: 'ignore',
    });
    started.push(child);
    return child;
  });
}

/** The JSON lines a `--json` command printed. */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
