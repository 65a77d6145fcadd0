// Runs the CLI as a user types it and, on Linux, samples the process's peak resident
// memory (VmHWM) from /proc while it runs. It runs the sources (through tsx), never a
// dist/ that may be older than them; test/e2e/compiled.test.ts covers the build.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cliEntryArgs } from '../../src/cli-entry.ts';

/** Node arguments that start the CLI from the sources; append the command. */
export const CLI_ARGS = cliEntryArgs();

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  peakRssMiB: number;
}

export interface RunCliOptions {
  keepStdout?: boolean;
  /** Called every 100 ms while the CLI runs, with its pid (e.g. to record its descendants). */
  onSample?: (pid: number) => void;
  /** Called with the CLI's standard error so far, each time more arrives. */
  onStderr?: (soFar: string) => void;
}

export function runCli(args: string[], env: Record<string, string | undefined> = {}, opts: RunCliOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI_ARGS, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let lastLine = '';
    let peakKb = 0;
    child.stdout.on('data', (d: Buffer) => {
      const text = d.toString();
      if (opts.keepStdout !== false) stdout += text;
      else lastLine = (lastLine + text).split('\n').slice(-2).join('\n');
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      opts.onStderr?.(stderr);
    });
    const sample = setInterval(() => {
      if (child.pid !== undefined) opts.onSample?.(child.pid);
      try {
        const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
        if (kb > peakKb) peakKb = kb;
      } catch {
        // The process has exited between samples.
      }
    }, 100);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(sample);
      resolve({ code, stdout: opts.keepStdout === false ? lastLine : stdout, stderr, peakRssMiB: Math.round(peakKb / 1024) });
    });
  });
}
