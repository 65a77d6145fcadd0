// `cxone-fleet email ...`: wiring of the email commands onto src/email.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import { loadConfig, secretEnvironment, type Config } from '../src/config.ts';
import type { MjmlIssue } from '../src/domain/email/mjml.ts';
import { formatHealth, formatIssues, formatMjmlIssue, formatStatus, formatSuppression } from '../src/email/format.ts';
import { describeState } from '../src/email/provision-state.ts';
import type { ChannelStatus, EmailServices } from '../src/email/services.ts';
import { formatOf, loadChannelSpec, type LoadSpecResult } from '../src/email/spec-store.ts';
import { createProducerContext, withCliProducer } from '../src/producer-context.ts';
import { intOption, timeOption } from '../src/cli/options.ts';
import { EXIT } from '../src/cli/exit-codes.ts';
import { createRedis } from '../src/redis.ts';
import { forOutput } from '../src/cli/pii.ts';

// The email services, the CXone client and MJML (with its HTML and CSS toolchain) load
// when an email command runs, not with the CLI: every other command would pay for them.
async function withServices<T>(fn: (s: EmailServices, config: Config) => Promise<T>): Promise<T> {
  const { createEmailServices } = await import('../src/email/services.ts');
  return withCliProducer(loadConfig(), (ctx) => fn(createEmailServices(ctx), ctx.config));
}

async function loadSpecFile(file: string): Promise<LoadSpecResult> {
  return loadChannelSpec({ text: readFileSync(file === '-' ? 0 : file, 'utf8'), format: formatOf(file), baseDir: path.dirname(path.resolve(file)), env: secretEnvironment() });
}

/** Prints errors (exit code 1) or warnings and the DNS record; true when the spec is usable. */
function report(file: string, r: LoadSpecResult, json: boolean): boolean {
  if (json) {
    console.log(JSON.stringify(r.ok ? { ok: true, name: r.spec.redacted.name, specKey: r.spec.specKey, warnings: r.spec.warnings, dns: r.spec.check.dns } : r));
  } else if (!r.ok) {
    console.error(`${file}: ${r.errors.length} error(s)`);
    for (const l of formatIssues(r.errors)) console.error(l);
    for (const w of r.warnings) console.error(`  ! ${w}`);
  } else {
    console.log(`${file}: valid (channel "${r.spec.redacted.name}", spec ${r.spec.specKey.slice(0, 16)})`);
    for (const w of r.spec.warnings) console.log(`  ! ${w}`);
    const dns = r.spec.check.dns;
    if (dns) console.log(`publish this DNS TXT record:\n  ${dns.name}  TXT  "${dns.value}"`);
  }
  if (!r.ok) process.exitCode = EXIT.failure;
  return r.ok;
}

function provisionCommand(): Command {
  return new Command('provision')
    .description('validate a channel spec and enqueue its provisioning (create, activate, routing rules); re-running is safe')
    .argument('<spec>', 'YAML or JSON channel spec; secrets as smtp.passwordEnv and dkim.privateKeyFile')
    .option('--wait', 'follow the step states until done or failed')
    .option('--json', 'machine output')
    .option('--poll-base-ms <ms>', 'first activation poll backoff (default 2000)', intOption('--poll-base-ms'))
    .option('--poll-max-ms <ms>', 'longest activation poll backoff (default 60000)', intOption('--poll-max-ms'))
    .option('--activation-timeout-ms <ms>', 'give up on activation after this long (default 600000)', intOption('--activation-timeout-ms'))
    .option('--health-every-ms <ms>', 'sender-health check period once active; 0 = none (default 900000)', intOption('--health-every-ms'))
    .action(async (file: string, o: { wait?: boolean; json?: boolean; pollBaseMs?: number; pollMaxMs?: number; activationTimeoutMs?: number; healthEveryMs?: number }) => {
      const r = await loadSpecFile(file);
      if (!r.ok) return void report(file, r, !!o.json);
      await withServices(async (svc) => {
        const req = await svc.provision(r.spec, path.dirname(path.resolve(file)), o);
        if (o.json) console.log(JSON.stringify({ channelName: req.channelName, specKey: req.specKey, jobId: req.jobId }));
        else console.log(`provisioning "${req.channelName}" enqueued (job ${req.jobId})`);
        if (!o.wait) return;
        let last = '';
        for (;;) {
          const s = await svc.state.get(req.channelName);
          const line = s ? describeState(s) : 'queued';
          if (line !== last && !o.json) console.error(`  ${line}`);
          last = line;
          if (s?.step === 'done' || s?.step === 'failed') {
            if (o.json) console.log(JSON.stringify(s));
            if (s.step === 'failed') process.exitCode = EXIT.failure;
            return;
          }
          // The CLI waits, not a worker: following progress is the point of --wait.
          await sleep(500);
        }
      });
    });
}

function suppressionsCommand(): Command {
  const cmd = new Command('suppressions').description('addresses the fleet will not send to (bounces, complaints, imports)');
  cmd
    .command('list')
    .description('list unexpired suppressions, soonest expiry first')
    .option('--offset <n>', 'skip this many', intOption('--offset'), 0)
    .option('--count <n>', 'at most this many', intOption('--count'), 100)
    .option('--json', 'machine output (JSONL)')
    .action(async (o: { offset: number; count: number; json?: boolean }) =>
      withServices(async (svc) => {
        const page = await svc.suppressions.list(o.offset, o.count);
        for (const item of page.items) {
          const s = forOutput(item);
          console.log(o.json ? JSON.stringify(s) : formatSuppression(s));
        }
        if (!o.json) console.error(`${page.items.length} of ${page.total} suppressed`);
      }),
    );
  cmd
    .command('remove')
    .description('lift the suppression of an address (its bounce counts are forgotten too)')
    .argument('<address>')
    .action(async (address: string) =>
      withServices(async (svc) => {
        const removed = await svc.suppressions.remove(address);
        console.log(removed ? `removed ${address}` : `${address} was not suppressed`);
        if (!removed) process.exitCode = EXIT.failure;
      }),
    );
  cmd
    .command('import')
    .description('suppress the addresses of a file: one per line, CSV (first column) or JSONL ({address} or {email})')
    .argument('<file>')
    .option('--reason <text>', 'reason recorded with each address', 'import')
    .option('--ttl-days <n>', 'expiry in days (default: the suppression.ttlDays setting)', intOption('--ttl-days'))
    .action(async (file: string, o: { reason: string; ttlDays?: number }) =>
      withServices(async (svc) => {
        const ttlDays = o.ttlDays ?? (await svc.settings.get()).suppressionTtlDays;
        let added = 0;
        const bad: string[] = [];
        for (const raw of readFileSync(file, 'utf8').split(/\r?\n/)) {
          const line = raw.trim();
          if (!line || line.startsWith('#') || /^(address|email)\b/i.test(line)) continue;
          const parsed = line.startsWith('{') ? (JSON.parse(line) as { address?: string; email?: string }) : undefined;
          const address = (parsed ? (parsed.address ?? parsed.email ?? '') : (line.split(',')[0] ?? '')).trim().replace(/^"|"$/g, '');
          if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)) {
            bad.push(line);
            continue;
          }
          if (await svc.suppressions.suppress(address, { reason: o.reason, class: 'import', suppressedAt: Date.now() }, ttlDays * 86_400_000)) added++;
        }
        console.log(`imported: ${added} new, ${bad.length} invalid`);
        for (const b of bad.slice(0, 20)) console.log(`  invalid: ${b}`);
      }),
    );
  return cmd;
}

function auditExportCommand(): Command {
  return new Command('audit')
    .description("export CXone's audit log of a channel as JSONL; resumable (re-run the same command to continue)")
    .argument('<channel>', 'channel name as provisioned (or its CXone id with --id)')
    .requiredOption('--since <time>', 'ISO 8601 or epoch ms', timeOption('--since'))
    .requiredOption('--until <time>', 'ISO 8601 or epoch ms', timeOption('--until'))
    .option('--id', 'the argument is a CXone channel id')
    .option('-o, --out <file>', 'output file (default: audit-<channel>.jsonl)')
    .action(async (channel: string, o: { since: number; until: number; id?: boolean; out?: string }) => {
      const config = loadConfig();
      const channelId = o.id ? channel : await withServices((svc) => svc.channelId(channel));
      const outFile = o.out ?? `audit-${channel.replace(/[^A-Za-z0-9._-]+/g, '_')}.jsonl`;
      const ctx = createProducerContext(config, { role: 'cli' });
      // A patient connection: the CLI shares the fleet's limiter and token cache.
      const redis = createRedis(config.redis, 'worker');
      const [{ createCxoneAccount }, { exportChannelAudit }] = await Promise.all([import('../src/cxone/account.ts'), import('../src/email/audit-export.ts')]);
      const account = createCxoneAccount(config.cxone, { redis, prefix: config.redis.prefix, logger: ctx.logger });
      try {
        const r = await exportChannelAudit({
          client: account.client,
          channelId,
          since: new Date(o.since),
          until: new Date(o.until),
          outFile,
          onPage: (p) => console.error(`  page ${p.page}: ${p.records} records (${p.total} total)${p.waitedMs ? `, waited ${p.waitedMs} ms for the rate limit` : ''}`),
        });
        console.log(`${outFile}: ${r.records} records in ${r.pages} pages${r.resumedFrom ? ` (resumed after page ${r.resumedFrom})` : ''}`);
      } finally {
        await account.close();
        await redis.quit().catch(() => redis.disconnect());
        await ctx.close();
      }
    });
}

/** The control API is behind the admin credentials; the CLI uses the same ones from the environment. */
function adminHeader(): Record<string, string> {
  const { admin } = loadConfig().ingress;
  if (admin.token) return { authorization: `Bearer ${admin.token}` };
  if (admin.user && admin.password) return { authorization: `Basic ${Buffer.from(`${admin.user}:${admin.password}`).toString('base64')}` };
  return {};
}

async function previewRemote(ingress: string, source: string): Promise<{ html: string; errors: MjmlIssue[]; warnings: MjmlIssue[] }> {
  const res = await fetch(`${ingress.replace(/\/+$/, '')}/api/templates/preview`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...adminHeader() },
    body: JSON.stringify({ mjml: source }),
  });
  const body = (await res.json()) as { html?: string; warnings?: MjmlIssue[]; error?: { message: string; details?: MjmlIssue[] } };
  if (res.status === 422) return { html: '', errors: body.error?.details ?? [], warnings: [] };
  if (!res.ok) throw new Error(`ingress answered ${res.status}: ${body.error?.message ?? ''}`);
  return { html: body.html ?? '', errors: [], warnings: body.warnings ?? [] };
}

function previewCommand(): Command {
  return new Command('preview')
    .description('render an MJML template to HTML next to it (file.html); errors with line numbers')
    .argument('<file>', 'an .mjml file')
    .option('--ingress <url>', "render through the ingress's /api/templates/preview instead of locally")
    .action(async (file: string, o: { ingress?: string }) => {
      const source = readFileSync(file, 'utf8');
      const r = o.ingress ? await previewRemote(o.ingress, source) : await (await import('../src/domain/email/mjml.ts')).compileMjml(source);
      for (const w of r.warnings) console.error(`warning: ${formatMjmlIssue(file, w)}`);
      if (r.errors.length > 0) {
        for (const e of r.errors) console.error(`error: ${formatMjmlIssue(file, e)}`);
        process.exitCode = EXIT.failure;
        return;
      }
      const out = file.replace(/\.mjml$/i, '') + '.html';
      writeFileSync(out, r.html);
      console.log(`wrote ${out}`);
    });
}

async function provisionedStatus(svc: EmailServices, name: string): Promise<ChannelStatus> {
  const st = await svc.status(name);
  if (!st) throw new Error(`no provisioned channel named "${name}"`);
  return st;
}

export function emailCommand(): Command {
  const email = new Command('email').description('email channels: validate and provision specs, bounces and suppressions, sender health, audit export, template preview');
  email
    .command('validate')
    .description('check a channel spec (schema, secrets, DKIM key, DMARC alignment, port/TLS, rules, templates); print the DNS TXT record; exit 1 on errors')
    .argument('<spec>', 'YAML or JSON channel spec')
    .option('--json', 'machine output')
    .action(async (file: string, o: { json?: boolean }) => void report(file, await loadSpecFile(file), !!o.json));
  email.addCommand(provisionCommand());
  email
    .command('status')
    .description('the state of each provisioning step of a channel, its health and pause state')
    .argument('<channel>', 'channel name')
    .option('--json', 'machine output')
    .action(async (name: string, o: { json?: boolean }) =>
      withServices(async (svc) => {
        const st = await provisionedStatus(svc, name);
        console.log(o.json ? JSON.stringify(st) : formatStatus(st).join('\n'));
      }),
    );
  email.addCommand(suppressionsCommand());
  email
    .command('metrics')
    .description('sender-health figures of a channel from its last scheduled check (sent, delivered, bounced, complaints, rates)')
    .argument('<channel>', 'channel name')
    .option('--json', 'machine output')
    .action(async (name: string, o: { json?: boolean }) =>
      withServices(async (svc) => {
        const st = await provisionedStatus(svc, name);
        console.log(o.json ? JSON.stringify({ health: st.health ?? null, paused: st.paused ?? null }) : formatHealth(st).join('\n'));
      }),
    );
  email
    .command('resume')
    .description('resume sends through a channel paused by its sender health')
    .argument('<channel>', 'channel name')
    .option('--json', 'machine output')
    .action(async (name: string, o: { json?: boolean }) =>
      withServices(async (svc) => {
        const resumed = await svc.resume(name);
        console.log(o.json ? JSON.stringify({ channel: name, resumed }) : resumed ? `resumed "${name}"` : `"${name}" was not paused`);
      }),
    );
  email
    .command('settings')
    .description('show or change the fleet-wide bounce, suppression and sender-health thresholds')
    .option('--set <name=value...>', 'e.g. bounce.soft=5 health.bounceStop=0.08')
    .option('--json', 'one line of JSON (default: indented JSON)')
    .action(async (o: { set?: string[]; json?: boolean }) =>
      withServices(async (svc) => {
        if (o.set) await svc.settings.set(Object.fromEntries(o.set.map((p) => p.split('=', 2) as [string, string])));
        console.log(JSON.stringify(await svc.settings.get(), null, o.json ? undefined : 2));
      }),
    );
  email.addCommand(auditExportCommand());
  email.addCommand(previewCommand());
  return email;
}
