// The accounts file: one entry becomes one fleet's configuration; bad entries are named by
// file and path; two accounts never share a prefix or a cluster slot.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { readAccountsFile } from '../../src/config-accounts.ts';
import { loadAccountConfigs, loadConfig } from '../../src/config.ts';
import { configErrorLines } from '../helpers/config-error.ts';
import { hashTag, keySlot } from '../../src/redis-slot.ts';

const dir = mkdtempSync(join(tmpdir(), 'cxf-accounts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function accountsFile(text: string, ext = 'yaml'): string {
  const path = join(dir, `accounts-${++n}.${ext}`);
  writeFileSync(path, text);
  return path;
}

const TWO = `
accounts:
  acme:
    baseUrl: https://acme.example.test
    clientId: acme-client
    clientSecretEnv: CXONE_SECRET_ACME
    rateLimit: { rps: 20, perMin: 1000 }
    endpoints: { smsSend: { path: /v2/sms } }
  globex:
    prefix: "{cxf}"
    baseUrl: https://globex.example.test
    tokenUrl: https://auth.example.test/token
    clientId: globex-client
    clientSecretFile: globex.secret
    authStyle: basic
`;

const configError = configErrorLines;

describe('accounts file', () => {
  writeFileSync(join(dir, 'globex.secret'), 'globex-secret-from-file\n');

  it('turns the named account into the fleet configuration, its secret read from the variable or file it names', () => {
    const file = accountsFile(TWO);
    const acme = loadConfig({ CXONE_ACCOUNTS_FILE: file, CXONE_ACCOUNT: 'acme', CXONE_SECRET_ACME: 'acme-secret', CXONE_RATE_LIMIT_BURST: '3' });
    expect(acme.redis.prefix).toBe('{cxf-acme}');
    expect(acme.cxone).toMatchObject({ accountId: 'acme', baseUrl: 'https://acme.example.test', clientId: 'acme-client', clientSecret: 'acme-secret', endpointOverrides: '{"smsSend":{"path":"/v2/sms"}}' });
    // The file's budgets; what it leaves out comes from the environment.
    expect(acme.cxone.rateLimit).toMatchObject({ rps: 20, rpsConfigured: true, perMin: 1000, burst: 3 });

    const globex = loadConfig({ CXONE_ACCOUNTS_FILE: file, CXONE_ACCOUNT: 'globex' });
    expect(globex.redis.prefix).toBe('{cxf}');
    expect(globex.cxone).toMatchObject({ accountId: 'globex', tokenUrl: 'https://auth.example.test/token', clientSecret: 'globex-secret-from-file', authStyle: 'basic' });
  });

  it('serves the only account without being told, and reads JSON as well as YAML', () => {
    const file = accountsFile(JSON.stringify({ accounts: { solo: { baseUrl: 'http://127.0.0.1:4010', clientId: 'c', clientSecretEnv: 'CXONE_SECRET_SOLO' } } }), 'json');
    const c = loadConfig({ CXONE_ACCOUNTS_FILE: file, CXONE_SECRET_SOLO: 's' });
    expect(c.cxone.accountId).toBe('solo');
    expect(c.redis.prefix).toBe('{cxf-solo}');
  });

  it('gives a worker serving several accounts one configuration each', () => {
    const file = accountsFile(TWO);
    const env = { CXONE_ACCOUNTS_FILE: file, CXONE_SECRET_ACME: 'acme-secret' };
    expect(loadAccountConfigs(['all'], env).map((c) => [c.cxone.accountId, c.redis.prefix])).toEqual([['acme', '{cxf-acme}'], ['globex', '{cxf}']]);
    expect(loadAccountConfigs(['globex'], env).map((c) => c.cxone.clientId)).toEqual(['globex-client']);
    expect(() => loadAccountConfigs(['all'], {})).toThrow(/--accounts all: set CXONE_ACCOUNTS_FILE/);
    expect(() => loadAccountConfigs(['acme', 'initech'], env)).toThrow(/CXONE_ACCOUNT \(got "initech"\): not in/);
  });

  it('accepts the example file, whose default account keeps the single fleet\'s prefix', () => {
    const read = readAccountsFile(fileURLToPath(new URL('../../examples/accounts.yaml', import.meta.url)));
    expect(read.ok && Object.entries(read.file.accounts).map(([id, a]) => [id, a.prefix])).toEqual([['default', '{cxf}'], ['acme', undefined]]);
  });

  it('without a file, keeps the single account and its key names as before', () => {
    const c = loadConfig({});
    expect([c.cxone.accountId, c.redis.prefix]).toEqual(['default', '{cxf}']);
  });

  it('asks which account when several are listed, and names an unknown one', () => {
    const file = accountsFile(TWO);
    expect(configError({ CXONE_ACCOUNTS_FILE: file })).toEqual([expect.stringMatching(/^CXONE_ACCOUNT: .* lists 2 accounts \(acme, globex\); name one/)]);
    expect(configError({ CXONE_ACCOUNTS_FILE: file, CXONE_ACCOUNT: 'initech' })).toEqual([expect.stringMatching(/^CXONE_ACCOUNT \(got "initech"\): not in .*; it lists acme, globex/)]);
  });

  it('names every bad field by file and path', () => {
    const file = accountsFile(`
accounts:
  acme:
    baseUrl: not-a-url
    clientId: ""
    clientSecretEnv: CXONE_SECRET_ACME
    clientSecretFile: acme.secret
    rateLimit: { rps: 0 }
    endpoints: { smsSnd: { path: /v2/sms } }
    colour: red
  "bad id!": { baseUrl: "http://x.test", clientId: c, clientSecretEnv: CXONE_SECRET_X }
`);
    const lines = configError({ CXONE_ACCOUNTS_FILE: file });
    for (const path of ['accounts.acme.endpoints.smsSnd', 'accounts.acme.baseUrl', 'accounts.acme.clientId', 'accounts.acme.rateLimit.rps', 'accounts.acme', 'accounts.bad id!']) {
      expect(lines.some((l) => l.startsWith(`${file}: ${path}: `)), `${path} in ${lines.join('\n')}`).toBe(true);
    }
    expect(lines.find((l) => l.includes('colour'))).toMatch(/Unrecognized key/);
  });

  it('wants exactly one secret reference, set, allowed and readable, and never prints the secret', () => {
    const none = accountsFile('accounts: { a: { baseUrl: "http://x.test", clientId: c } }');
    expect(configError({ CXONE_ACCOUNTS_FILE: none })).toEqual([`${none}: accounts.a.clientSecretEnv: set exactly one of clientSecretEnv and clientSecretFile`]);
    const byEnv = accountsFile('accounts: { a: { baseUrl: "http://x.test", clientId: c, clientSecretEnv: CXONE_SECRET_A } }');
    expect(configError({ CXONE_ACCOUNTS_FILE: byEnv })).toEqual([`${byEnv}: accounts.a.clientSecretEnv: the variable CXONE_SECRET_A is not set`]);
    const notAllowed = accountsFile('accounts: { a: { baseUrl: "http://x.test", clientId: c, clientSecretEnv: REDIS_URL } }');
    expect(configError({ CXONE_ACCOUNTS_FILE: notAllowed, REDIS_URL: 'redis://127.0.0.1:6379' })[0]).toMatch(/clientSecretEnv: REDIS_URL does not start with an allowed prefix \(SECRET_ENV_PREFIXES: CXONE_SECRET_\)/);
    const missingFile = accountsFile('accounts: { a: { baseUrl: "http://x.test", clientId: c, clientSecretFile: nowhere.secret } }');
    expect(configError({ CXONE_ACCOUNTS_FILE: missingFile })[0]).toMatch(/accounts\.a\.clientSecretFile: cannot read .*nowhere\.secret: ENOENT/);
    // Production rules apply to the account's secret like to CXONE_CLIENT_SECRET.
    const lines = configError({ CXONE_ACCOUNTS_FILE: byEnv, CXONE_SECRET_A: 'short', NODE_ENV: 'production', WEBHOOK_SECRETS: 'a-webhook-secret-long-enough' });
    expect(lines).toContain('CXONE_CLIENT_SECRET: must be at least 16 characters in production');
    expect(lines.join('\n')).not.toContain('short');
  });

  it('names an unreadable or malformed file', () => {
    expect(configError({ CXONE_ACCOUNTS_FILE: join(dir, 'missing.yaml') })).toEqual([expect.stringMatching(/^CXONE_ACCOUNTS_FILE \(.*missing\.yaml\): cannot be read: ENOENT/)]);
    const bad = accountsFile('accounts: [unclosed');
    expect(configError({ CXONE_ACCOUNTS_FILE: bad })[0]).toMatch(new RegExp(`^${bad}: not YAML or JSON`));
    const empty = accountsFile('accounts: {}');
    expect(configError({ CXONE_ACCOUNTS_FILE: empty })).toEqual([`${empty}: accounts: list at least one account`]);
  });

  it('refuses two accounts on one prefix or one cluster slot', () => {
    const entry = 'baseUrl: "http://x.test", clientId: c, clientSecretEnv: CXONE_SECRET_A';
    const same = accountsFile(`accounts: { a: { prefix: "{cxf}", ${entry} }, b: { prefix: "{cxf}", ${entry} } }`);
    expect(configError({ CXONE_ACCOUNTS_FILE: same })).toEqual([`${same}: accounts.b.prefix: shares the same prefix {cxf} with account a; set a prefix of its own`]);
    // Two different tags that hash to one slot: found, not assumed.
    const first = keySlot('{cxf-t0}');
    const clash = Array.from({ length: 200_000 }, (_, i) => `t${i + 1}`).find((id) => keySlot(`{cxf-${id}}`) === first);
    expect(clash).toBeDefined();
    const slot = accountsFile(`accounts: { t0: { ${entry} }, ${clash}: { ${entry} } }`);
    expect(configError({ CXONE_ACCOUNTS_FILE: slot })).toEqual([`${slot}: accounts.${clash}.prefix: shares cluster slot ${first} with account t0; set a prefix of its own`]);
  });
});

describe('keySlot', () => {
  // ioredis routes commands with this package: the fleet's slot must be the one it uses.
  const ioredisSlot = createRequire(createRequire(import.meta.url).resolve('ioredis'))('cluster-key-slot') as (key: string) => number;

  it('hashes the first non-empty hash tag, as Redis Cluster does', () => {
    expect(hashTag('{cxf-acme}:bull:sms-send:1')).toBe('cxf-acme');
    expect(hashTag('plain')).toBe('plain');
    expect(hashTag('{}x{y}')).toBe('{}x{y}');
    expect(keySlot('{cxf}:a')).toBe(keySlot('{cxf}:b'));
  });

  it('agrees with ioredis for any key', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (key) => {
        expect(keySlot(key)).toBe(ioredisSlot(key));
      }),
      { numRuns: 500 },
    );
  });
});
