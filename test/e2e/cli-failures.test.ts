// How the CLI fails, as a user meets it: one line on stderr, never a stack trace, and the
// exit code `--help` documents. Real processes, real files, real pipes.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_ARGS, runCli } from '../helpers/cli.ts';
import { REDIS_ENV, useTestRedis } from '../helpers/redis.ts';

const { prefix } = useTestRedis('clifail');
const env = { ...REDIS_ENV, FLEET_PREFIX: prefix, LOG_LEVEL: 'silent' };
const dir = mkdtempSync(join(tmpdir(), 'cxf-clifail-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function expectOneLine(stderr: string, pattern: RegExp) {
  const lines = stderr.trim().split('\n');
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/^\s+at /m);
}

describe('CLI failures', () => {
  it('lists the exit codes in --help', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const code of ['0 ', '1 ', '2 ', '3 ', '4 ', '5 ']) expect(r.stdout).toContain(`\n  ${code}`);
    expect(r.stdout).toContain('--show-pii');
  });

  it('a missing or unreadable file: exit 4 and one line naming it', async () => {
    const missing = await runCli(['sms', 'send', '--file', join(dir, 'nope.csv'), '--from', 'ACME', '--campaign', 'c1'], env);
    expect(missing.code).toBe(4);
    expectOneLine(missing.stderr, /^cxone-fleet: cannot read .*nope\.csv: no such file$/);
    const directory = await runCli(['sms', 'send', '--file', dir, '--dry-run'], env);
    expect(directory.code).toBe(4);
    expectOneLine(directory.stderr, /^cxone-fleet: cannot read .*: is a directory$/);
    const spec = await runCli(['email', 'validate', join(dir, 'nope.yaml')], env);
    expect(spec.code).toBe(4);
    expectOneLine(spec.stderr, /cannot read .*nope\.yaml: no such file/);
  });

  it('reads rows from standard input with --file -', async () => {
    const child = spawn(process.execPath, [...CLI_ARGS, 'sms', 'send', '--file', '-', '--dry-run', '--json', '--from', 'ACME', '--campaign', 'c1'], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdin.end('to,text\n+14155550100,hello\nnot-a-number,hi\n');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(err).toBe('');
    expect(code).toBe(3); // rows rejected: no consent, not a number
    const summary = JSON.parse(out.trim().split('\n').pop()!) as { summary: { total: number } };
    expect(summary.summary.total).toBe(2);
  });

  it('a closed output pipe (| head) ends quietly with 0, no EPIPE trace', async () => {
    const file = join(dir, 'many.csv');
    writeFileSync(file, ['to,text', ...Array.from({ length: 50_000 }, (_, i) => `+1415${2_000_000 + i},hello ${i}`)].join('\n'));
    const child = spawn(process.execPath, [...CLI_ARGS, 'sms', 'send', '--file', file, '--dry-run', '--json', '--from', 'ACME', '--campaign', 'c1'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    // Like `head -1`: read the first line, then close the reading end.
    await once(child.stdout, 'data');
    child.stdout.destroy();
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(err).not.toContain('EPIPE');
    expect(err).not.toMatch(/^\s+at /m);
    expect(code).toBe(0);
  }, 120_000);

  it('bad usage: exit 2 and one line saying what is wrong', async () => {
    const badValue = await runCli(['worker', '--concurrency', 'lots'], env);
    expect(badValue.code).toBe(2);
    expectOneLine(badValue.stderr, /--concurrency must be an integer >= 1/);
    const unknown = await runCli(['sms', 'send', '--file', 'x.csv', '--fiel'], env);
    expect(unknown.code).toBe(2);
    expectOneLine(unknown.stderr, /unknown option '--fiel'/);
    const command = await runCli(['sms', 'snd'], env);
    expect(command.code).toBe(2);
    expectOneLine(command.stderr, /unknown command 'snd'/);
  });

  it('an invalid environment: exit 5, naming the variable', async () => {
    const r = await runCli(['sms', 'status', 'b-1'], { ...env, CXONE_RATE_LIMIT_RPS: 'fast' });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/CXONE_RATE_LIMIT_RPS \(got "fast"\)/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});
