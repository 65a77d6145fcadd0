// The fleet's long-running commands as an operator runs them.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/dev/local-redis.ts';
import { runCli } from '../helpers/cli.ts';
import { createTestRedis, deleteKeysWithPrefix, REDIS_URL, testPrefix } from '../helpers/redis.ts';

const prefix = testPrefix('fleet-cli');
afterAll(async () => {
  const redis = createTestRedis();
  await deleteKeysWithPrefix(redis, prefix);
  await redis.quit();
});

describe('long-running commands', () => {
  it('demo --exit runs the whole fleet, reports, and leaves nothing running', async () => {
    const r = await runCli(['demo', '--exit', '--messages', '300', '--rps', '300'], { REDIS_URL, LOG_LEVEL: 'error' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/accepted\s+260/);
    expect(r.stdout).toMatch(/rejected\s+40/); // 8 of each kind of bad row the generator mixes in
    expect(r.stdout).toMatch(/token requests\s+1\b/);
    expect(r.stdout).toMatch(/duplicate sends at CXone\s+0\b/);
    expect(r.stdout).toContain('/admin/queues');
    const delivered = Number(/^delivered\s+(\d+)$/m.exec(r.stdout)?.[1]);
    const undelivered = Number(/^undelivered\s+(\d+)$/m.exec(r.stdout)?.[1]);
    expect(delivered + undelivered).toBe(260);
    // Its worker and simulator processes are gone with it (the demo starts them with
    // exactly these flags).
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(ps).not.toContain('worker --queues sms-send,sms-status');
    expect(ps).not.toContain('simulator --port 0 --ready-fd 3 --rps 300');
    // Nor are its keys: the demo's own prefix is removed once nothing of it runs.
    const redis = createTestRedis();
    const [, left] = await redis.scan('0', 'MATCH', '{cxf-demo-*', 'COUNT', 10_000);
    await redis.quit();
    expect(left).toEqual([]);
  }, 120_000);

  it('worker serves /metrics and drains on SIGTERM, exiting cleanly', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['bin/cxone-fleet.js', 'worker', '--queues', 'sms-status,sms-send', '--metrics-port', String(port)], {
      env: { ...process.env, REDIS_URL, FLEET_PREFIX: prefix, LOG_LEVEL: 'info' },
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
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(log).toContain('shutdown complete');
  }, 60_000);
});
