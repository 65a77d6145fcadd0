// The platform's promises about domain modules: a queue without a processor, or a module left
// out of the list, does not compile (fixtures compiled by the TypeScript compiler); every
// registry queue gets a worker; reserved names stay out of the registry; `--help` loads
// none of what the domain commands need.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics.ts';
import { defineDomainModule, moduleList } from '../../src/platform/domain-module.ts';
import { DOMAIN_MODULES, WEBHOOK_KINDS, loadWorkerTable, registerDomainMetrics } from '../../src/platform/modules.ts';
import { previewMetrics } from '../../src/preview/metrics.ts';
import { ALL_QUEUE_KEYS, QUEUES, RESERVED_QUEUE_NAMES } from '../../src/queues/registry.ts';
import { resolveQueueSelection } from '../../src/worker-pool.ts';
import { CLI_ARGS } from '../helpers/cli.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURES = resolve(ROOT, 'test/fixtures/compile-errors');

/** Type-checks the fixtures with the project's compiler options; the errors of each, as text. */
function compile(names: string[]): Map<string, string[]> {
  const configPath = resolve(ROOT, 'tsconfig.json');
  const { config } = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p)) as { config: unknown };
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, ROOT);
  const files = names.map((n) => resolve(FIXTURES, `${n}.ts`));
  const program = ts.createProgram(files, { ...options, noEmit: true });
  return new Map(
    files.map((file, i) => [
      names[i]!,
      ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')),
    ]),
  );
}

describe('complete by construction', () => {
  it('a module without a processor for one of its queues, or a module list without a module, fails to compile', () => {
    const errors = compile(['complete', 'missing-processor', 'missing-module']);
    expect(errors.get('complete')).toEqual([]);
    expect(errors.get('missing-processor')!.join('\n')).toMatch(/Property 'smsReconcile' is missing/);
    const missingModule = errors.get('missing-module')!.join('\n');
    for (const queue of ['emailBounce', 'emailProvision', 'emailHealth']) expect(missingModule).toContain(`no module serves queue ${queue}`);
  }, 120_000);

  it('the worker table has a processor for every registry queue, so `worker` with no --queues runs them all', async () => {
    const table = await loadWorkerTable();
    expect(Object.keys(table).sort()).toEqual([...ALL_QUEUE_KEYS].sort());
    expect(resolveQueueSelection(undefined, table).sort()).toEqual([...ALL_QUEUE_KEYS].sort());
  });

  it('reserved wire names are not live queues, and every webhook kind feeds a queue of its own module', () => {
    const live = Object.values(QUEUES).map((q) => q.name);
    for (const name of RESERVED_QUEUE_NAMES) expect(live).not.toContain(name);
    for (const m of DOMAIN_MODULES) for (const kind of m.webhooks ?? []) expect(Object.keys(m.queues), kind.path).toContain(kind.queue);
    expect(WEBHOOK_KINDS.map((k) => k.path)).toEqual(['/webhooks/sms/status', '/webhooks/email/bounce', '/webhooks/flows/events', '/webhooks/campaigns/events']);
  });
});

describe('one name each', () => {
  it('refuses two modules with the same name or the same top-level CLI word', () => {
    const cli = (name: string) => ({ name, description: 'x', load: () => Promise.reject(new Error('not loaded')) });
    const mod = (name: string, word?: string) => defineDomainModule({ name, queues: {}, processors: () => Promise.resolve({}), ...(word ? { cli: cli(word) } : {}) });
    // The real list passes; each word is one command in `cxone-fleet --help`.
    const words = DOMAIN_MODULES.flatMap((m) => (m.cli ? [m.cli.name] : []));
    expect(new Set(words).size).toBe(words.length);
    const all = [...DOMAIN_MODULES];
    expect(() => moduleList([...all, mod('extra', 'campaign')] as never)).toThrow('two domain modules declare the CLI command campaign');
    expect(() => moduleList([...all, mod('sms')] as never)).toThrow('two domain modules are named sms');
  });
});

describe('domain metrics', () => {
  it("every module's series are on the registry from the start, once, shared with whoever asks later", async () => {
    const { registry } = createMetrics();
    const names = () => registry.getMetricsAsArray().map((m) => m.name);
    expect(names()).not.toContain('cxone_fleet_preview_activations_total');
    await registerDomainMetrics(registry);
    await registerDomainMetrics(registry);
    for (const name of ['cxone_fleet_preview_activations_total', 'cxone_fleet_preview_webhook_lag_seconds', 'cxone_fleet_flow_builds_total', 'cxone_fleet_email_bounce_rate', 'cxone_fleet_email_health_crossings_total']) {
      expect(names(), name).toContain(name);
    }
    expect(names().filter((n) => n === 'cxone_fleet_preview_activations_total')).toHaveLength(1);
    expect(previewMetrics(registry).activations).toBe(registry.getSingleMetric('cxone_fleet_preview_activations_total'));
  });
});

describe('the CLI stays lazy', () => {
  it('`--help` lists every domain command without loading Redis, BullMQ or Express', async () => {
    // A resolve hook that reports every heavy package the process loads.
    const hook = `data:text/javascript,${encodeURIComponent(
      "import { register } from 'node:module'; register('data:text/javascript,' + encodeURIComponent(\"export async function resolve(s, c, n) { const r = await n(s, c); if (/node_modules\\\\/(bullmq|ioredis|express)\\\\//.test(r.url)) process.stderr.write('HEAVY ' + r.url + '\\\\n'); return r; }\"));",
    )}`;
    const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>((done, fail) => {
      const child = spawn(process.execPath, ['--import', hook, ...CLI_ARGS, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', fail);
      child.on('close', (c) => done({ stdout: out, stderr: err, code: c }));
    });
    expect(code).toBe(0);
    for (const m of DOMAIN_MODULES) if (m.cli) expect(stdout).toContain(`\n  ${m.cli.name} [args...]`);
    expect(stderr).not.toContain('HEAVY');
  }, 60_000);
});
