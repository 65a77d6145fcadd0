// Four worker processes, 500 concurrent calls each: the whole fleet asks CXone for exactly
// one token per token lifetime.
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestFleet, type TestFleet } from '../helpers/fleet.ts';

let fleet: TestFleet | undefined;
afterEach(async () => {
  await fleet?.cleanup();
  fleet = undefined;
});

function runCaller(env: Record<string, string>): Promise<{ ok: number; failed: number; firstError?: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/token-caller.ts'], {
      env: { ...process.env, ...env, CALLS: '500' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`caller exited with ${code}: ${out}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!) as { ok: number; failed: number });
    });
  });
}

describe('fleet-wide token cache', () => {
  it('4 processes x 500 concurrent calls cause exactly one token request', async () => {
    fleet = await startTestFleet({ label: 'tok4', env: { CXONE_RATE_LIMIT_RPS: '100000', CXONE_RATE_LIMIT_BURST: '1000' } });
    const results = await Promise.all(Array.from({ length: 4 }, () => runCaller(fleet!.env)));
    for (const r of results) expect(r).toMatchObject({ ok: 500, failed: 0 });
    const stats = fleet.sim.stats();
    expect(stats.tokenRequests).toBe(1);
    expect(stats.sms.accepted).toBe(2000);
  });
});
