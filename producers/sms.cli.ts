// `cxone-fleet sms ...`: wiring of the SMS producer commands onto src/sms.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { Command, InvalidArgumentError, Option } from 'commander';
import { createProgress } from '../src/cli/progress.ts';
import { table } from '../src/cli/output.ts';
import { loadConfig } from '../src/config.ts';
import { normalizePhone } from '../src/domain/sms/phone.ts';
import { withCliProducer } from '../src/producer-context.ts';
import { followBatch, settledCount, stateLine } from '../src/sms/follow.ts';
import type { BatchSummary, IntakeRow, RowVerdict } from '../src/sms/intake.ts';
import { resumeCommand, type SendOptions } from '../src/sms/resume-command.ts';
import { openRows, readRows } from '../src/sms/row-reader.ts';
import { EXIT } from '../src/cli/exit-codes.ts';
import { forOutput, piiShown } from '../src/cli/pii.ts';
import { maskPhone, maskPhonesInText } from '../src/mask.ts';
import { createThreadValidator, inlineValidator } from '../src/sms/row-validator.ts';
import { createSmsServices } from '../src/sms/services.ts';
import type { BatchRecord } from '../src/sms/message-store.ts';

function withServices<T>(fn: (s: ReturnType<typeof createSmsServices>, config: ReturnType<typeof loadConfig>) => Promise<T>): Promise<T> {
  return withCliProducer(loadConfig(), (ctx) => fn(createSmsServices(ctx), ctx.config));
}


const BATCH_ID = /^[A-Za-z0-9._-]{1,100}$/;

function batchIdArg(value: string): string {
  if (!BATCH_ID.test(value)) throw new InvalidArgumentError('letters, digits, . _ - (1 to 100 of them)');
  return value;
}

function printSummary(s: BatchSummary, dryRun: boolean) {
  const rows: (string | number)[][] = [
    ['batch', s.batchId],
    ['rows', s.total],
    [dryRun ? 'valid' : 'accepted', s.accepted],
    ['duplicates', s.duplicates],
    ['  accepted before (resumed)', s.resumed],
    ['rejected', s.rejected],
    ['segments', s.segments],
  ];
  for (const [reason, n] of Object.entries(s.rejectedByReason)) rows.push([`  ${reason}`, n]);
  console.log(table(rows));
}

async function waitForBatch(store: ReturnType<typeof createSmsServices>['store'], batchId: string, json: boolean): Promise<BatchRecord | undefined> {
  const bar = createProgress({ enabled: !json, total: 1, format: 'delivery  [{bar}] {value}/{total} settled | {states}' });
  let last: BatchRecord | undefined;
  const onRetry = (err: unknown) => process.stderr.write(`redis unavailable (${err instanceof Error ? err.message : String(err)}); still following\n`);
  for await (const b of followBatch(store, batchId, { onRetry })) {
    last = b;
    bar.setTotal(b.accepted);
    bar.update(settledCount(b), { states: stateLine(b.counts) });
  }
  bar.stop();
  return last;
}

function sendCommand(): Command {
  return new Command('send')
    .description('validate and enqueue an SMS batch from a CSV (header row) or JSONL file, streaming; resumable by batch id')
    .requiredOption('-f, --file <path>', 'CSV or JSONL with columns to, text, and optional ref, from, campaignId, sendAt, priority')
    .addOption(new Option('--format <format>', 'file format (default: by extension)').choices(['csv', 'jsonl']))
    .option('--campaign <id>', 'campaignId for rows that have none')
    .option('--from <sender>', 'sender for rows that have none')
    .option('--batch-id <id>', 'batch id (default: a new one, printed first); an existing one resumes that batch: rows it accepted are not sent again', batchIdArg)
    .option('--resume <id>', 'the same as --batch-id <id>', batchIdArg)
    .option('--allow-repeat', 'send messages the duplicate window has seen (same recipient, sender and text) anyway')
    .option('--dry-run', 'validate and report per row; send nothing')
    .option('--wait', 'follow the batch to its last delivery status')
    .option('--json', 'machine output on stdout (first line: the batch id), no progress bar')
    .addHelpText('after', '\nExit codes: 0 all rows accepted, 1 stopped (the batch id and the command that resumes it are printed), 3 some rows rejected, 4 the file cannot be a batch (empty, or no to/text header).')
    .action(async (o: SendOptions) => {
      if (o.batchId && o.resume && o.batchId !== o.resume) throw new Error('--batch-id and --resume name different batches');
      const batchId = o.batchId ?? o.resume ?? `b-${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-${randomUUID().slice(0, 8)}`;
      // A file that cannot be a batch ends here, before any Redis work (exit code 4).
      const rows = await openRows(o.file, { ...(o.format ? { format: o.format } : {}), requiredColumns: ['to', 'text'] });
      await withServices(async (services) => {
        // Known before the first row goes out, so a batch that stops can always be resumed.
        if (o.json) console.log(JSON.stringify({ batchId, ...(o.dryRun ? { dryRun: true } : {}) }));
        else console.log(`batch ${batchId}${o.dryRun ? ' (dry run)' : ''}`);
        let processed = 0;
        try {
          await sendRows(services, rows, o, batchId, (n) => (processed = n));
        } catch (err) {
          if (o.dryRun) throw err;
          const resume = resumeCommand(o, batchId);
          const message = (err as Error).message;
          if (o.json) console.log(JSON.stringify({ error: message, batchId, rowsDone: processed, resume }));
          console.error(`cxone-fleet: batch ${batchId} stopped after ${processed} rows: ${message}\nNothing is lost: rows already accepted are not sent again. Resume with:\n  ${resume}`);
          process.exitCode = EXIT.failure;
        }
      });
    });
}

async function sendRows(
  { intake, store }: ReturnType<typeof createSmsServices>,
  rows: AsyncIterable<IntakeRow>,
  o: SendOptions,
  batchId: string,
  onRows: (n: number) => void,
) {
  const bar = createProgress({ enabled: !o.json, total: 0, format: 'intake    [{bar}] {value} rows' });
  // Per-row lines are buffered per chunk and written with backpressure: a million
  // rows into a slow pipe must not pile up in memory.
  let pending = '';
  const onRow = o.dryRun && o.json ? (v: RowVerdict) => void (pending += `${JSON.stringify(forOutput(dryRunLine(v)))}\n`) : undefined;
  // A file may hold millions of rows: when sending, validate them on another core
  // while this one enqueues. A dry run only validates, so a second heap buys nothing.
  const validator = o.dryRun ? inlineValidator : createThreadValidator();
  let stalledSince: number | undefined;
  const summary = await intake
    .submit(rows, {
      batchId,
      validator,
      dryRun: o.dryRun,
      allowRepeat: o.allowRepeat,
      defaults: { from: o.from, campaignId: o.campaign },
      onRow,
      onStall: (err) => {
        // Once per stall, not once per retry of every chunk in flight.
        if (stalledSince !== undefined) return;
        stalledSince = Date.now();
        console.error(`cxone-fleet: Redis is not answering (${err.message}); waiting for it, then carrying on`);
      },
      onProgress: async (n) => {
        stalledSince = undefined;
        onRows(n);
        bar.setTotal(n);
        bar.update(n);
        if (pending) {
          const ok = process.stdout.write(pending);
          pending = '';
          if (!ok) await once(process.stdout, 'drain');
        }
      },
    })
    .finally(async () => {
      bar.stop();
      await validator.close();
    });
  if (o.json) console.log(JSON.stringify({ summary }));
  else printSummary(summary, !!o.dryRun);
  if (o.wait && !o.dryRun && summary.accepted + summary.resumed > 0) {
    const final = await waitForBatch(store, batchId, !!o.json);
    if (o.json) console.log(JSON.stringify({ batch: final }));
    else if (final) console.log(`final: ${stateLine(final.counts)}`);
  }
  if (summary.rejected > 0) process.exitCode = EXIT.rowsRejected;
}

function dryRunLine(v: RowVerdict) {
  return { row: v.row, to: v.to, valid: v.valid, ...(v.reason ? { reason: v.reason } : {}), encoding: v.encoding, segments: v.segments };
}

function statusCommand(): Command {
  return new Command('status')
    .description('show a batch: counts by state and rejected rows')
    .argument('<batchId>')
    .option('--json', 'machine output')
    .option('--wait', 'follow the batch until every message is settled')
    .action(async (batchId: string, o: { json?: boolean; wait?: boolean }) => {
      await withServices(async ({ store }) => {
        const batch = o.wait ? await waitForBatch(store, batchId, !!o.json) : await store.getBatch(batchId);
        if (!batch) throw new Error(`no batch ${batchId} (unknown or past its retention)`);
        const rejections = await store.getRejections(batchId, 0, 99);
        if (o.json) {
          console.log(JSON.stringify(forOutput({ batch, rejections })));
          return;
        }
        const rows: (string | number)[][] = [
          ['batch', batch.batchId],
          ['created', new Date(batch.createdAt).toISOString()],
          ['rows', batch.total],
          ['accepted', batch.accepted],
          ['rejected', batch.rejected],
          ['segments', batch.segments],
          ['settled', `${settledCount(batch)}/${batch.accepted}`],
        ];
        // Every state with messages, unknown (being reconciled) and no-receipt included.
        for (const [s, n] of Object.entries(batch.counts)) rows.push([`  ${s}`, n]);
        console.log(table(rows));
        for (const r of rejections.slice(0, 20)) console.log(`row ${r.row}: ${r.reasons.map((x) => `${x.field}: ${x.message}`).join('; ')}`);
      });
    });
}

function parseNumbers(values: string[], region: string): string[] {
  return values.map((v) => {
    const r = normalizePhone(v, region);
    if (!r.ok) throw new Error(`${v}: ${r.reason}`);
    return r.e164;
  });
}

/** The numbers of a file, or why a row has none (a record that could not be read). */
async function* numbersFromFile(path: string): AsyncGenerator<{ raw: string } | { bad: string }> {
  for await (const r of readRows(path)) {
    if (r.parseError) yield { bad: `row ${r.row}: ${r.parseError}` };
    const rec = r.input as Record<string, unknown> | undefined;
    const v = rec?.to ?? rec?.phone ?? rec?.number;
    if (typeof v === 'string' && v) yield { raw: v };
  }
}

/** Prints a consent change: a line for people, an object for --json. */
function printConsent(json: boolean | undefined, key: string, label: string, n: number) {
  console.log(json ? JSON.stringify({ [key]: n }) : `${label}: ${n}`);
}

function consentCommand(): Command {
  const consent = new Command('consent').description('manage SMS opt-in/opt-out per account (an opt-out always wins)');
  const changes = [
    { name: 'add', description: 'record opt-in for numbers', key: 'optedIn', label: 'opted in', apply: 'optIn' },
    { name: 'opt-out', description: 'record opt-out for numbers', key: 'optedOut', label: 'opted out', apply: 'optOut' },
    { name: 'remove', description: 'forget numbers in both lists', key: 'removed', label: 'removed', apply: 'remove' },
  ] as const;
  for (const ch of changes) {
    consent
      .command(ch.name)
      .description(ch.description)
      .argument('<numbers...>')
      .option('--json', 'machine output')
      .action(async (numbers: string[], o: { json?: boolean }) =>
        withServices(async ({ consent: c }, cfg) => printConsent(o.json, ch.key, ch.label, await c[ch.apply](parseNumbers(numbers, cfg.sms.defaultRegion)))),
      );
  }
  consent
    .command('import')
    .description('import numbers from a CSV (column to, phone or number) or JSONL file')
    .argument('<file>')
    .option('--opt-out', 'import as opt-outs instead of opt-ins')
    .option('--json', 'machine output')
    .action(async (file: string, o: { optOut?: boolean; json?: boolean }) =>
      withServices(async ({ consent: c }, cfg) => {
        let chunk: string[] = [];
        let imported = 0;
        // The first few invalid ones are shown; a file of garbage must not pile up in memory.
        const bad: string[] = [];
        let invalid = 0;
        const refuse = (why: string) => {
          invalid++;
          if (bad.length < 20) bad.push(why);
        };
        const flush = async () => {
          imported += o.optOut ? await c.optOut(chunk) : await c.optIn(chunk);
          chunk = [];
        };
        for await (const n of numbersFromFile(file)) {
          if ('bad' in n) {
            refuse(n.bad);
            continue;
          }
          const r = normalizePhone(n.raw, cfg.sms.defaultRegion);
          if (r.ok) chunk.push(r.e164);
          else refuse(`${n.raw}: ${r.reason}`);
          if (chunk.length >= 5000) await flush();
        }
        await flush();
        const shown = bad.map((b) => (piiShown() ? b : maskPhonesInText(b)));
        if (o.json) {
          console.log(JSON.stringify({ [o.optOut ? 'optedOut' : 'optedIn']: imported, invalid, firstInvalid: shown }));
          return;
        }
        console.log(`${o.optOut ? 'opted out' : 'opted in'}: ${imported} new, ${invalid} invalid`);
        for (const b of shown) console.log(`  ${b}`);
      }),
    );
  consent
    .command('list')
    .description('list opted-in (or --opted-out) numbers (masked unless --show-pii)')
    .option('--opted-out', 'list opt-outs')
    .option('--json', 'machine output (JSONL)')
    .action(async (o: { optedOut?: boolean; json?: boolean }) =>
      withServices(async ({ consent: c }) => {
        let cursor = '0';
        do {
          const page = await c.list(o.optedOut ? 'out' : 'in', cursor);
          for (const n of page.numbers) {
            const shown = piiShown() ? n : maskPhone(n);
            console.log(o.json ? JSON.stringify({ number: shown, state: o.optedOut ? 'opted-out' : 'opted-in' }) : shown);
          }
          cursor = page.cursor;
        } while (cursor !== '0');
      }),
    );
  return consent;
}

export function smsCommand(): Command {
  return new Command('sms')
    .description('send SMS batches and follow what happened to every message')
    .addCommand(sendCommand())
    .addCommand(statusCommand())
    .addCommand(consentCommand());
}
