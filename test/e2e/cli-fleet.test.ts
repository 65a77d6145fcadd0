// The fleet's long-running commands as an operator runs them.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/dev/local-redis.ts';
import { CLI_ARGS, runCli } from '../helpers/cli.ts';
import { descendantsOf } from '../helpers/processes.ts';
import { createTestRedis, deleteKeysWithPrefix, keysMatching, REDIS_ENV, testPrefix } from '../helpers/redis.ts';

const prefix = testPrefix('fleet-cli');
afterAll(async () => {
  const redis = createTestRedis();
  await deleteKeysWithPrefix(redis, prefix);
  await redis.quit();
});

describe('long-running commands', () => {
  it('demo --exit runs the whole fleet, reports, and leaves nothing running', async () => {
    // Every process the demo starts (workers, simulator), with its command line, so the
    // check below looks at these and not at whatever else runs on the machine.
    const seen = new Map<number, string>();
    const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const r = await runCli(['demo', '--exit', '--messages', '300', '--rps', '300'], { ...REDIS_ENV, LOG_LEVEL: 'error' }, {
      onSample: (pid) => {
        for (const d of descendantsOf(pid, (f) => readFileSync(f, 'utf8'))) {
          try {
            // Read again on every sample: a child seen between fork and exec still shows the
            // demo's command line, and a zombie (exited, not reaped) an empty one.
            const c = cmdline(d);
            if (c !== '') seen.set(d, c);
          } catch {
            // Gone between the listing and the read.
          }
        }
      },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/accepted\s+260/);
    expect(r.stdout).toMatch(/rejected\s+40/); // 8 of each kind of bad row the generator mixes in
    expect(r.stdout).toMatch(/token requests\s+1\b/);
    expect(r.stdout).toMatch(/duplicate sends at CXone\s+0\b/);
    expect(r.stdout).toContain('/admin/queues');
    const delivered = Number(/^delivered\s+(\d+)$/m.exec(r.stdout)?.[1]);
    const undelivered = Number(/^undelivered\s+(\d+)$/m.exec(r.stdout)?.[1]);
    expect(delivered + undelivered).toBe(260);
    // Its worker and simulator processes were seen, and are gone with it.
    const started = [...seen.values()].map((c) => c.split('\0').join(' '));
    expect(started.filter((c) => c.includes('worker --queues sms-send,sms-status,sms-reconcile'))).toHaveLength(2);
    expect(started.filter((c) => c.includes('simulator --port 0 --ready-fd 3'))).toHaveLength(1);
    const alive = [...seen].filter(([pid, c]) => {
      try {
        return cmdline(pid) === c;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
    // Nor are its keys: the demo's own prefix is removed once nothing of it runs.
    const redis = createTestRedis();
    const left = await keysMatching(redis, '{cxf-demo-*');
    await redis.quit();
    expect(left).toEqual([]);
  }, 120_000);

  it('worker serves /metrics, /healthz and /readyz and drains on SIGTERM, exiting cleanly', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [...CLI_ARGS, 'worker', '--queues', 'sms-status,sms-send', '--metrics-port', String(port)], {
      env: { ...process.env, ...REDIS_ENV, FLEET_PREFIX: prefix, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    // Wait for the line that says the metrics endpoint listens.
    await new Promise<void>((resolve, reject) => {
      const check = () => (log.includes('worker metrics listening') ? resolve() : undefined);
      child.stdout.on('data', check);
      child.once('exit', (code) => reject(new Error(`worker exited early (${code}): ${log}`)));
    });
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('cxone_fleet_jobs_total');
    expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()).toEqual({ status: 'ready', redis: 'ok', workers: '2/2 running' });
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(log).toContain('shutdown complete');
  }, 60_000);
});
