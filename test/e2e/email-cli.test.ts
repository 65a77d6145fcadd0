// `cxone-fleet email validate|preview|provision` as a user runs them: a child process, exit
// codes, and each class of bad spec with its own message naming the field.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT } from '../../src/simulator/config.ts';
import { ALL_SCOPES, SCOPES } from '../../src/simulator/scopes.ts';
import { EMAIL_PROCESSORS } from '../../src/email/processors.ts';
import { FIXTURE_DIR } from '../fixtures/email/keys.ts';
import { startEmailHarness } from '../fixtures/email-pipeline/harness.ts';
import { makeSpecDir, SMTP_ENV, type SpecDir } from '../fixtures/email-pipeline/spec-dir.ts';

const run = promisify(execFile);
const RUNNER = path.resolve(import.meta.dirname, '../fixtures/email-pipeline/cli-runner.ts');
let dir: SpecDir;

async function cli(args: string[], env: Record<string, string> = {}) {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', RUNNER, ...args], {
      env: { ...process.env, [SMTP_ENV]: 'pw-from-env', LOG_LEVEL: 'silent', ...env },
      timeout: 30_000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

beforeAll(() => {
  dir = makeSpecDir();
});
afterAll(() => dir.remove());

describe('email validate (CLI)', () => {
  it('accepts a good spec, prints warnings and the DNS TXT record, exits 0', async () => {
    const r = await cli(['email', 'validate', dir.file('channel.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/valid \(channel "Pipeline inbox"/);
    expect(r.stdout).toMatch(/cx2025\._domainkey\.example\.com\s+TXT\s+"v=DKIM1; k=rsa; p=/);
    expect(r.stdout + r.stderr).not.toContain('pw-from-env');
  });

  it('reports every schema error with its path and exits 1', async () => {
    const r = await cli(['email', 'validate', dir.file('bad-schema.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/✗ smtp\.passwrod: unknown field/);
    expect(r.stderr).toMatch(/✗ smtp\.port: must be between 1 and 65535/);
    expect(r.stderr).toMatch(/✗ from: not a valid email address/);
    expect(r.stderr).toMatch(/✗ rules\.0\.operator: must be one of: equals, contains, ends_with/);
    expect(r.stderr).not.toContain('hunter2');
  });

  it('gives port/TLS mismatch, DMARC misalignment, a missing secret and a bad key each their own error', async () => {
    const tls = await cli(['email', 'validate', dir.file('bad-port-tls.yaml')]);
    expect(tls.code).toBe(1);
    expect(tls.stderr).toMatch(/✗ smtp\.tls: port 465 is SMTPS \(implicit TLS\)/);

    const align = await cli(['email', 'validate', dir.file('bad-alignment.yaml')]);
    expect(align.code).toBe(1);
    expect(align.stderr).toMatch(/✗ dkim\.domain: DKIM domain other-domain\.org does not align with the From domain example\.com/);

    const noEnv = await cli(['email', 'validate', dir.file('channel.yaml')], { [SMTP_ENV]: '' });
    expect(noEnv.code).toBe(1);
    expect(noEnv.stderr).toMatch(/✗ smtp\.passwordEnv: environment variable CXONE_SECRET_TEST_SMTP_PASSWORD is empty/);

    const badKey = makeSpecDir({ pem: '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n' });
    try {
      const r = await cli(['email', 'validate', badKey.file('channel.yaml')]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/✗ dkim\.privateKeyFile: /);
    } finally {
      badKey.remove();
    }
  });

  it('--json gives machine output', async () => {
    const r = await cli(['email', 'validate', '--json', dir.file('bad-port-tls.yaml')]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { ok: boolean; errors: { path: string }[] };
    expect(out.ok).toBe(false);
    expect(out.errors.map((e) => e.path)).toContain('smtp.tls');
  });
});

describe('email preview (CLI)', () => {
  it('writes the HTML next to a valid template and reports errors with line numbers', async () => {
    const good = dir.write('welcome.mjml', readFileSync(path.join(FIXTURE_DIR, 'templates/welcome.mjml'), 'utf8'));
    const r = await cli(['email', 'preview', good]);
    expect(r.code).toBe(0);
    expect(existsSync(dir.file('welcome.html'))).toBe(true);
    expect(readFileSync(dir.file('welcome.html'), 'utf8')).toMatch(/<html/i);

    const bad = dir.write('bad.mjml', readFileSync(path.join(FIXTURE_DIR, 'templates/mis-nested.mjml'), 'utf8'));
    const b = await cli(['email', 'preview', bad]);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/error: .*bad\.mjml:\d+: /);
    expect(existsSync(dir.file('bad.html'))).toBe(false);
  });

  it('refuses a template with a script (preview and validate), naming the line and tag, and writes no HTML', async () => {
    const source = readFileSync(path.join(FIXTURE_DIR, 'templates/welcome.mjml'), 'utf8').replace('<mj-text css-class="note">', '<mj-text css-class="note"><script>steal()</script>');
    const line = source.split('\n').findIndex((l) => l.includes('<script>')) + 1;
    const file = dir.write('scripted.mjml', source);
    const p = await cli(['email', 'preview', file]);
    expect(p.code).toBe(1);
    expect(p.stderr).toContain(`error: ${file}:${line}: <script> script elements are not allowed: templates run no scripts`);
    expect(existsSync(dir.file('scripted.html'))).toBe(false);

    const spec = dir.write('scripted.yaml', `${dir.read('channel.yaml')}\ntemplates:\n  - name: scripted\n    file: scripted.mjml\n`);
    const v = await cli(['email', 'validate', spec]);
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(new RegExp(`✗ templates\\.0\\.file: .*line ${line}.*<script>: script elements are not allowed`));
  });

  it('has --help text on every command', async () => {
    for (const cmd of ['validate', 'provision', 'status', 'suppressions', 'metrics', 'resume', 'audit', 'preview', 'settings']) {
      const r = await cli(['email', cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Usage: cxone-fleet email/);
    }
  });
});

describe('email provision --wait (CLI)', () => {
  const FAST = ['--poll-base-ms', '20', '--poll-max-ms', '100', '--health-every-ms', '0'];

  it('follows the steps to done and exits 0', async () => {
    const h = await startEmailHarness('emcliok', { email: { activation: { pendingPolls: 2 } } });
    try {
      h.fleet.workers(EMAIL_PROCESSORS, ['emailProvision']);
      const r = await cli(['email', 'provision', h.specDir.file('channel.yaml'), '--wait', ...FAST], h.fleet.env);
      expect(r.stderr).toMatch(/ {2}done rules 2\/2/);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/provisioning "Pipeline inbox" enqueued/);
    } finally {
      await h.cleanup();
    }
  });

  it('ends with exit code 1 and the reason when the job fails for good', async () => {
    const noRules = { ...DEFAULT_CLIENT, scopes: ALL_SCOPES.filter((sc) => sc !== SCOPES.emailRulesWrite) };
    const h = await startEmailHarness('emclifail', { clients: [noRules], email: { activation: { pendingPolls: 1 } } });
    try {
      h.fleet.workers(EMAIL_PROCESSORS, ['emailProvision']);
      const r = await cli(['email', 'provision', h.specDir.file('channel.yaml'), '--wait', ...FAST], h.fleet.env);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/ {2}failed : CXONE_FORBIDDEN: .*missing scope email:rules:write/);
      const status = await cli(['email', 'status', 'Pipeline inbox'], h.fleet.env);
      expect(status.stdout).toMatch(/step {8}failed \(CXONE_FORBIDDEN: /);
    } finally {
      await h.cleanup();
    }
  });
});
