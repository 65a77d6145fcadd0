// Waiting on processes a test started, and only on those.
import type { ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Resolves once `url` answers 200; rejects as soon as `child` exits first (with its exit
 * code), or after `timeoutMs`. Readiness is a condition to poll: the endpoint is what says it.
 */
export async function waitForHttp(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let wait = 25;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`process ${child.pid} exited (${child.exitCode ?? child.signalCode}) before ${url} answered`);
    const status = await fetch(url).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${status || 'no connection'})`);
    await delay(wait);
    wait = Math.min(wait * 2, 500);
  }
}

/** The pids of `pid`'s descendants, read from /proc (Linux), deepest last. */
export function descendantsOf(pid: number, read: (file: string) => string): number[] {
  const out: number[] = [];
  const visit = (p: number) => {
    let children: number[] = [];
    try {
      const tasks = read(`/proc/${p}/task/${p}/children`);
      children = tasks.split(/\s+/).filter(Boolean).map(Number);
    } catch {
      // Gone already.
    }
    for (const c of children) {
      out.push(c);
      visit(c);
    }
  };
  visit(pid);
  return out;
}
