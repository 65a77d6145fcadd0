// --account as a user types it: the CLI addresses the named account of CXONE_ACCOUNTS_FILE
// (its prefix, so its queues and stores), and says which accounts there are when it must.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { createFleetClient } from '../../src/index.ts';
import { keySlot } from '../../src/redis-slot.ts';
import { createTestRedis, deleteKeysWithPrefix, keysMatching, REDIS_CLUSTER_NODES, REDIS_ENV, testPrefix } from '../helpers/redis.ts';

const dir = mkdtempSync(join(tmpdir(), 'cxf-e2e-accounts-'));
const prefixes = { acme: testPrefix('cli-acme'), globex: testPrefix('cli-globex') };
const file = join(dir, 'accounts.yaml');
writeFileSync(
  file,
  JSON.stringify({
    accounts: {
      acme: { prefix: prefixes.acme, baseUrl: 'http://127.0.0.1:9', clientId: 'acme-client', clientSecretEnv: 'CXONE_SECRET_ACME' },
      globex: { prefix: prefixes.globex, baseUrl: 'http://127.0.0.1:9', clientId: 'globex-client', clientSecretEnv: 'CXONE_SECRET_GLOBEX' },
    },
  }),
);
const env = { ...REDIS_ENV, LOG_LEVEL: 'silent', CXONE_ACCOUNTS_FILE: file, CXONE_SECRET_ACME: 'a-secret', CXONE_SECRET_GLOBEX: 'g-secret' };
const redis = createTestRedis();
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  for (const p of Object.values(prefixes)) await deleteKeysWithPrefix(redis, p);
  await redis.quit();
});

const keysUnder = async (prefix: string) => (await keysMatching(redis, `${prefix}*`)).length;

describe('cxone-fleet --account', () => {
  it("writes to the named account's stores only", async () => {
    const added = await runCli(['--account', 'globex', 'sms', 'consent', 'add', '+14153100001', '--json'], env);
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toEqual({ optedIn: 1 });
    expect(await keysUnder(prefixes.globex)).toBeGreaterThan(0);
    expect(await keysUnder(prefixes.acme)).toBe(0);
    // The same through the environment, as a deployment sets it.
    const listed = await runCli(['--show-pii', 'sms', 'consent', 'list'], { ...env, CXONE_ACCOUNT: 'globex' });
    expect(listed.stdout.trim()).toBe('+14153100001');
    const other = await runCli(['--show-pii', '--account', 'acme', 'sms', 'consent', 'list'], env);
    expect(other.code, other.stderr).toBe(0);
    expect(other.stdout.trim()).toBe('');
  });

  it("the library addresses the account it is given, the CLI's default otherwise", async () => {
    const fleet = createFleetClient({ env, account: 'acme' });
    try {
      // No consent for the number: refused, and the batch recorded in acme's keys.
      const summary = await fleet.sms.sendBatch([{ to: '+14153100002', text: 'hi' }], { batchId: 'lib-acme', defaults: { from: 'ACME', campaignId: 'c' } });
      expect(summary).toMatchObject({ accepted: 0, rejected: 1 });
    } finally {
      await fleet.close();
    }
    expect((await keysMatching(redis, `${prefixes.acme}*lib-acme*`)).length).toBeGreaterThan(0);
    expect(await keysMatching(redis, `${prefixes.globex}*lib-acme*`)).toEqual([]);
    expect(() => createFleetClient({ env })).toThrow(/lists 2 accounts \(acme, globex\); name one/);
  });

  it('lists the accounts with their prefix, slot and (on a cluster) master', async () => {
    const listed = await runCli(['accounts', '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const rows = listed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { account: string; prefix: string; slot: number; master?: string });
    expect(rows.map((r) => [r.account, r.prefix, r.slot])).toEqual([
      ['acme', prefixes.acme, keySlot(prefixes.acme)],
      ['globex', prefixes.globex, keySlot(prefixes.globex)],
    ]);
    for (const r of rows) expect(r.master).toEqual(REDIS_CLUSTER_NODES ? expect.stringMatching(/^[\d.]+:\d+$/) : undefined);
    expect(listed.stdout).not.toContain('a-secret');
  });

  it('asks for an account when the file lists several, and names an unknown one', async () => {
    const none = await runCli(['sms', 'consent', 'list'], env);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/CXONE_ACCOUNT: .* lists 2 accounts \(acme, globex\); name one with CXONE_ACCOUNT or --account/);
    const unknown = await runCli(['--account', 'initech', 'sms', 'consent', 'list'], env);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/CXONE_ACCOUNT \(got "initech"\): not in .*; it lists acme, globex/);
  });
});
