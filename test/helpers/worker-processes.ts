// Worker processes as deployed (`cxone-fleet worker ...`), for tests that kill them; every
// one still running is SIGKILLed by killWorkers().
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

const children: ChildProcess[] = [];

export function spawnWorker(env: Record<string, string>, args: string[] = []): ChildProcess {
  const child = spawn(process.execPath, ['bin/cxone-fleet.js', 'worker', ...args], { env: { ...process.env, ...env }, stdio: 'ignore' });
  children.push(child);
  return child;
}

export async function killWorkers(): Promise<void> {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await once(c, 'exit');
    }
  }
}
