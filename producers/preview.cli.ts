// `cxone-fleet campaign preview ...` and `campaign dnc ...`: wiring onto src/preview.
// previewCommands(parent) adds both groups to a `campaign` command, so the campaigns domain's
// own `campaign` subcommands and these can share one top-level word.
import { readFileSync, writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { loadConfig } from '../src/config.ts';
import { formatOf } from '../src/email/spec-store.ts';
import { formatActivation, formatDnc, formatExcluded, formatIssues } from '../src/preview/format.ts';
import type { PreviewServices } from '../src/preview/services.ts';
import { parseDncLines, type DncInput } from '../src/preview/dnc-store.ts';
import { withCliProducer } from '../src/producer-context.ts';
import { intOption } from '../src/cli/options.ts';
import { EXIT } from '../src/cli/exit-codes.ts';
import { piiShown } from '../src/cli/pii.ts';

async function withServices<T>(fn: (s: PreviewServices) => Promise<T>): Promise<T> {
  const { createPreviewServices } = await import('../src/preview/services.ts');
  return withCliProducer(loadConfig(), (ctx) => fn(createPreviewServices(ctx)));
}

/** Checks a spec file without Redis or CXone; prints its problems (exit 1) or nothing. */
async function checkFile(file: string) {
  const { parsePreviewSpec } = await import('../src/domain/preview/spec.ts');
  const r = parsePreviewSpec(readFileSync(file === '-' ? 0 : file, 'utf8'), formatOf(file));
  if (!r.ok) {
    for (const l of formatIssues(file, r.errors)) console.error(l);
    process.exitCode = EXIT.failure;
  }
  return r;
}

function previewGroup(): Command {
  const cmd = new Command('preview').description('preview campaigns: validate a spec, activate it (tier check, scrubbed contacts, If-Match PUT), follow it');
  cmd
    .command('validate')
    .description('check a preview spec locally and print the payload that would be sent to CXone')
    .argument('<spec>', 'YAML or JSON preview spec (- for stdin)')
    .action(async (file: string) => {
      const r = await checkFile(file);
      if (r.ok) console.log(JSON.stringify(r.value.payload, null, 2));
    });
  cmd
    .command('activate')
    .description('validate a spec and enqueue its activation')
    .argument('<spec>', 'YAML or JSON preview spec')
    .option('--wait', 'follow the activation until it is active or failed')
    .option('--timeout-s <s>', 'how long --wait follows it (default 600)', intOption('--timeout-s', 1), 600)
    .option('--json', 'machine output')
    .action(async (file: string, o: { wait?: boolean; timeoutS: number; json?: boolean }) => {
      const r = await checkFile(file);
      if (!r.ok) return;
      await withServices(async (svc) => {
        const checked = svc.validateObject(r.value.spec);
        if (!checked.ok) return;
        const started = await svc.activate(checked.value);
        if (o.json && !o.wait) console.log(JSON.stringify(started));
        else if (!o.json) console.log(`preview activation ${started.activationId} enqueued (job ${started.jobId})`);
        if (!o.wait) return;
        const end = await svc.wait(started.activationId, o.timeoutS * 1000, (s) => !o.json && console.error(`  ${s.status} (step ${s.step}, ${s.contactPages} contact page(s))`));
        if (o.json) console.log(JSON.stringify(end));
        else if (end) for (const l of formatActivation(end)) console.log(l);
        if (end?.status !== 'active') process.exitCode = EXIT.failure;
      });
    });
  cmd
    .command('status')
    .description('state of an activation (by activation id, or the latest of a campaign id)')
    .argument('<ref>')
    .option('--json', 'machine output')
    .action(async (ref: string, o: { json?: boolean }) =>
      withServices(async (svc) => {
        const r = await svc.status(ref);
        if (!r) {
          console.error(`no preview activation ${ref}`);
          process.exitCode = EXIT.failure;
          return;
        }
        console.log(o.json ? JSON.stringify(r) : formatActivation(r).join('\n'));
      }),
    );
  cmd
    .command('contacts')
    .description('eligible contact ids of an activation, or the excluded ones with their reasons')
    .argument('<activationId>')
    .option('--excluded', 'list excluded contacts with their reason (and next callable time when deferred)')
    .option('--reason <reason>', 'only this exclusion reason: filtered, invalid_phone, suppressed, dnc, deferred')
    .option('--offset <n>', 'skip this many', intOption('--offset'), 0)
    .option('--count <n>', 'at most this many', intOption('--count', 1), 100_000)
    .option('-o, --output <file>', 'write JSONL to this file')
    .action(async (id: string, o: { excluded?: boolean; reason?: string; offset: number; count: number; output?: string }) =>
      withServices(async (svc) => {
        const res = await svc.contacts(id, o);
        const rows = 'excluded' in res ? res.excluded : res.eligible.map((cid) => ({ id: cid }));
        if (o.output) writeFileSync(o.output, rows.map((x) => JSON.stringify(x)).join('\n') + (rows.length ? '\n' : ''));
        else for (const x of 'excluded' in res ? res.excluded.map(formatExcluded) : res.eligible) console.log(x);
        console.error(`${rows.length} contact(s)`);
      }),
    );
  return cmd;
}

/** Adds numbers and reports them; an invalid one makes the exit code 1 (each named, 20 at most). */
function addNumbers(label: string, entries: DncInput[], o: { reason: string; source: string }) {
  return withServices(async (svc) => {
    const r = await svc.dnc.add(entries, o.source, o.reason);
    console.log(`${label}: ${r.added} added, ${r.already} already listed, ${r.invalid.length} invalid`);
    for (const b of r.invalid.slice(0, 20)) console.error(`  invalid entry ${b.index + 1}: ${b.input}: ${b.reason}`);
    if (r.invalid.length > 0) process.exitCode = EXIT.failure;
  });
}

const reasonAndSource = (c: Command, reason: string, source: string) =>
  c.option('--reason <text>', 'why (of entries without their own)', reason).option('--source <text>', 'who asked (agent, form, complaint, import)', source);

const DNC_DESCRIPTION = "the fleet's own do-not-call list (E.164), checked by every preview activation";

function dncGroup(cmd = new Command('dnc').description(DNC_DESCRIPTION)): Command {
  const add = cmd
    .command('add')
    .description('add numbers (any format; stored as E.164)')
    .argument('<numbers...>');
  reasonAndSource(add, 'customer request', 'cli').action(async (numbers: string[], o: { reason: string; source: string }) =>
      addNumbers('dnc', numbers.map((number) => ({ number, reason: o.reason })), o),
    );
  cmd
    .command('remove')
    .description('remove numbers')
    .argument('<numbers...>')
    .action(async (numbers: string[]) =>
      withServices(async (svc) => {
        const r = await svc.dnc.remove(numbers);
        console.log(`dnc: ${r.removed} removed`);
      }),
    );
  const imp = cmd
    .command('import')
    .description('add the numbers of a file: one per line, `number[,reason]`; # comments and a header row skipped')
    .argument('<file>');
  reasonAndSource(imp, 'import', 'import').action(async (file: string, o: { reason: string; source: string }) =>
      addNumbers('dnc import', parseDncLines(readFileSync(file, 'utf8')), o),
    );
  cmd
    .command('list')
    .description('list numbers (masked unless --show-pii)')
    .option('--offset <n>', 'skip this many', intOption('--offset'), 0)
    .option('--count <n>', 'at most this many', intOption('--count', 1), 100)
    .option('--json', 'machine output (JSONL)')
    .action(async (o: { offset: number; count: number; json?: boolean }) =>
      withServices(async (svc) => {
        for (const e of await svc.dnc.list(o.offset, o.count)) console.log(o.json ? JSON.stringify(e) : formatDnc(e, piiShown()));
        if (!o.json) console.error(`${await svc.dnc.count()} number(s) listed`);
      }),
    );
  return cmd;
}

/** Adds `preview` and `dnc` to a `campaign` command (the lead joins them with the campaigns domain's). */
export function previewCommands(parent: Command): Command {
  return parent.addCommand(previewGroup()).addCommand(dncGroup());
}
