// The production form: `tsc` output run by plain `node`, as the image runs it. The build
// goes to a private directory (not dist/, which a developer may be using), every process
// is started without tsx and preloads a probe that records what it loaded, and a batch
// goes from the compiled CLI through the compiled ingress and worker to the simulator and
// back as delivery receipts.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/dev/local-redis.ts';
import type * as SimulatorProcessModule from '../../src/simulator/process.ts';
import { REDIS_ENV, useTestRedis } from '../helpers/redis.ts';
import { waitForHttp } from '../helpers/processes.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BUILD = path.join(ROOT, '.test-build', `compiled-${process.pid}`);
const PROBE = path.join(ROOT, 'test/fixtures/compiled/probe.mjs');
const SECRET = 'compiled-test-webhook-secret';
const { prefix } = useTestRedis('compiled');
const children: ChildProcess[] = [];
let sim: SimulatorProcessModule.SimulatorProcess | undefined;

interface Probe {
  execArgv: string[];
  nodeOptions: string;
  modules: string[];
}

function startCompiled(name: string, args: string[], env: Record<string, string>): { child: ChildProcess; probe: () => Probe; log: () => string } {
  const out = path.join(BUILD, `probe-${name}.json`);
  const child = spawn(process.execPath, ['--import', pathToFileURL(PROBE).href, path.join(BUILD, 'bin/cli.js'), ...args], {
    env: { ...process.env, NODE_OPTIONS: '', CXF_PROBE_OUT: out, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  return { child, probe: () => JSON.parse(readFileSync(out, 'utf8')) as Probe, log: () => log };
}

function expectNoTypeScriptLoader(p: Probe): void {
  expect(p.execArgv.join(' ')).not.toMatch(/tsx|ts-node|loader/);
  expect(p.nodeOptions).toBe('');
  expect(p.modules.filter((m) => /[/\\](tsx|esbuild|typescript)[/\\]/.test(m))).toEqual([]);
}

async function runToEnd(name: string, args: string[], env: Record<string, string>, stdin?: string) {
  const run = startCompiled(name, args, env);
  run.child.stdin!.end(stdin ?? '');
  let stdout = '';
  run.child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const [code] = (await once(run.child, 'exit')) as [number | null];
  return { code, stdout, log: run.log(), probe: run.probe() };
}

beforeAll(async () => {
  rmSync(BUILD, { recursive: true, force: true });
  mkdirSync(BUILD, { recursive: true });
  await promisify(execFile)(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', BUILD, '--sourceMap', 'false'], {
    cwd: ROOT,
  });
}, 300_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await sim?.stop();
  rmSync(BUILD, { recursive: true, force: true });
});

describe('the compiled build under plain node', () => {
  it('holds JavaScript and declarations only, with the entry points package.json names', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { exports: { '.': { types: string; default: string } } };
    const inBuild = (p: string) => path.join(BUILD, path.relative('dist', p));
    expect(existsSync(inBuild(pkg.exports['.'].default))).toBe(true);
    expect(existsSync(inBuild(pkg.exports['.'].types))).toBe(true);
    expect(existsSync(path.join(BUILD, 'src/sms/validation-thread.js'))).toBe(true);
    // The tsx boot file of the validation thread is not part of the build.
    expect(existsSync(path.join(BUILD, 'src/sms/validation-thread-boot.mjs'))).toBe(false);
  });

  it('the library door imports and builds a client', async () => {
    const script = `const m = await import(${JSON.stringify(pathToFileURL(path.join(BUILD, 'src/index.js')).href)});
      const fleet = m.createFleetClient({ env: { ...${JSON.stringify(REDIS_ENV)}, FLEET_PREFIX: ${JSON.stringify(prefix)} } });
      const v = await fleet.sms.sendBatch([{ to: 'nope', text: 'x' }], { dryRun: true });
      await fleet.close();
      console.log(JSON.stringify({ exports: Object.keys(m).sort(), rejected: v.rejected }));`;
    const child = spawn(process.execPath, ['--import', pathToFileURL(PROBE).href, '--input-type=module', '-e', script], {
      env: { ...process.env, NODE_OPTIONS: '', CXF_PROBE_OUT: path.join(BUILD, 'probe-door.json') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    const answer = JSON.parse(out) as { exports: string[]; rejected: number };
    expect(answer.exports).toContain('createFleetClient');
    expect(answer.rejected).toBe(1);
    expectNoTypeScriptLoader(JSON.parse(readFileSync(path.join(BUILD, 'probe-door.json'), 'utf8')) as Probe);
  }, 60_000);

  it('the compiled CLI, ingress and worker send a batch end to end', async () => {
    const { startSimulatorProcess } = (await import(pathToFileURL(path.join(BUILD, 'src/simulator/process.js')).href)) as typeof SimulatorProcessModule;
    sim = await startSimulatorProcess({ env: { NODE_OPTIONS: '' } });
    const [ingressPort, healthPort] = [await freePort(), await freePort()];
    const env = {
      ...REDIS_ENV,
      FLEET_PREFIX: prefix,
      CXONE_BASE_URL: sim.url,
      CXONE_RATE_LIMIT_RPS: '200',
      WEBHOOK_SECRETS: SECRET,
      LOG_LEVEL: 'warn',
    };
    await sim.configure({ webhooks: { url: `http://127.0.0.1:${ingressPort}/webhooks/sms/status`, secret: SECRET, delayMs: 5 } });
    const ingress = startCompiled('ingress', ['ingress', '--port', String(ingressPort)], env);
    const worker = startCompiled('worker', ['worker', '--queues', 'sms-send,sms-status', '--metrics-port', String(healthPort)], env);
    await waitForHttp(`http://127.0.0.1:${ingressPort}/readyz`, ingress.child);
    await waitForHttp(`http://127.0.0.1:${healthPort}/readyz`, worker.child);

    const numbers = Array.from({ length: 20 }, (_, i) => `+1415300${String(i).padStart(4, '0')}`);
    const consent = await runToEnd('consent', ['sms', 'consent', 'add', ...numbers], env);
    expect(consent.code, consent.log).toBe(0);
    const csv = path.join(BUILD, 'batch.csv');
    writeFileSync(csv, ['to,text', ...numbers.map((n, i) => `${n},Compiled hello ${i}`)].join('\n'));
    const send = await runToEnd('send', ['sms', 'send', '--file', csv, '--from', 'ACME', '--campaign', 'c-compiled', '--wait', '--json'], env);
    expect(send.code, send.log).toBe(0);
    const lines = send.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => 'summary' in l)).toMatchObject({ summary: { total: 20, accepted: 20, rejected: 0 } });
    const final = (lines.at(-1) as { batch: { counts: Record<string, number> } }).batch;
    expect((final.counts.delivered ?? 0) + (final.counts.undelivered ?? 0)).toBe(20);
    expect((await sim.stats()).sms.accepted).toBeGreaterThanOrEqual(20);

    for (const p of [ingress, worker]) {
      p.child.kill('SIGTERM');
      const [code] = (await once(p.child, 'exit')) as [number | null];
      expect(code, p.log()).toBe(0);
      expectNoTypeScriptLoader(p.probe());
    }
    expectNoTypeScriptLoader(send.probe);
    expectNoTypeScriptLoader(consent.probe);
  }, 240_000);
});
