// `cxone-fleet sms ...`: wiring of the SMS producer commands onto src/sms.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { Command, Option } from 'commander';
import { createProgress } from '../src/cli/progress.ts';
import { table } from '../src/cli/output.ts';
import { loadConfig } from '../src/config.ts';
import { normalizePhone } from '../src/domain/sms/phone.ts';
import { connectOrExplain, createProducerContext } from '../src/producer-context.ts';
import { followBatch, settledCount, stateLine } from '../src/sms/follow.ts';
import type { BatchSummary, RowVerdict } from '../src/sms/intake.ts';
import { readRows, type RowFormat } from '../src/sms/row-reader.ts';
import { createThreadValidator, inlineValidator } from '../src/sms/row-validator.ts';
import { createSmsServices } from '../src/sms/services.ts';
import type { BatchRecord } from '../src/sms/message-store.ts';

async function withServices<T>(fn: (s: ReturnType<typeof createSmsServices>, config: ReturnType<typeof loadConfig>) => Promise<T>) {
  const config = loadConfig();
  const ctx = createProducerContext(config, { role: 'cli' });
  await connectOrExplain(ctx);
  try {
    return await fn(createSmsServices(ctx), config);
  } finally {
    await ctx.close();
  }
}

interface SendOptions {
  file: string;
  format?: RowFormat;
  campaign?: string;
  from?: string;
  batchId?: string;
  dryRun?: boolean;
  wait?: boolean;
  json?: boolean;
}

function printSummary(s: BatchSummary, dryRun: boolean) {
  const rows: (string | number)[][] = [
    ['batch', s.batchId],
    ['rows', s.total],
    [dryRun ? 'valid' : 'accepted', s.accepted],
    ['duplicates', s.duplicates],
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
    .description('validate and enqueue an SMS batch from a CSV (header row) or JSONL file, streaming')
    .requiredOption('-f, --file <path>', 'CSV or JSONL with columns to, text, and optional ref, from, campaignId, sendAt, priority')
    .addOption(new Option('--format <format>', 'file format (default: by extension)').choices(['csv', 'jsonl']))
    .option('--campaign <id>', 'campaignId for rows that have none')
    .option('--from <sender>', 'sender for rows that have none')
    .option('--batch-id <id>', 'batch id (default: a new one); reuse it to resubmit without duplicates')
    .option('--dry-run', 'validate and report per row; send nothing')
    .option('--wait', 'follow the batch to its last delivery status')
    .option('--json', 'machine output on stdout, no progress bar')
    .action(async (o: SendOptions) => {
      const batchId = o.batchId ?? `b-${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-${randomUUID().slice(0, 8)}`;
      await withServices(async ({ intake, store }) => {
        const bar = createProgress({ enabled: !o.json, total: 0, format: 'intake    [{bar}] {value} rows' });
        // Per-row lines are buffered per chunk and written with backpressure: a million
        // rows into a slow pipe must not pile up in memory.
        let pending = '';
        const onRow = o.dryRun && o.json ? (v: RowVerdict) => void (pending += `${JSON.stringify(dryRunLine(v))}\n`) : undefined;
        // A file may hold millions of rows: when sending, validate them on another core
        // while this one enqueues. A dry run only validates, so a second heap buys nothing.
        const validator = o.dryRun ? inlineValidator : createThreadValidator();
        const summary = await intake.submit(readRows(o.file, o.format), {
          batchId,
          validator,
          dryRun: o.dryRun,
          defaults: { from: o.from, campaignId: o.campaign },
          onRow,
          onProgress: async (n) => {
            bar.setTotal(n);
            bar.update(n);
            if (pending) {
              const ok = process.stdout.write(pending);
              pending = '';
              if (!ok) await once(process.stdout, 'drain');
            }
          },
        });
        bar.stop();
        await validator.close();
        if (o.json) console.log(JSON.stringify({ summary }));
        else printSummary(summary, !!o.dryRun);
        if (o.wait && !o.dryRun && summary.accepted > 0) {
          const final = await waitForBatch(store, batchId, !!o.json);
          if (o.json) console.log(JSON.stringify({ batch: final }));
          else if (final) console.log(`final: ${stateLine(final.counts)}`);
        }
        if (summary.rejected > 0) process.exitCode = 3;
      });
    });
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
          console.log(JSON.stringify({ batch, rejections }));
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

async function* numbersFromFile(path: string): AsyncGenerator<string> {
  for await (const r of readRows(path)) {
    const rec = r.input as Record<string, unknown> | undefined;
    const v = rec?.to ?? rec?.phone ?? rec?.number;
    if (typeof v === 'string' && v) yield v;
  }
}

function consentCommand(): Command {
  const consent = new Command('consent').description('manage SMS opt-in/opt-out per account (an opt-out always wins)');
  consent
    .command('add')
    .description('record opt-in for numbers')
    .argument('<numbers...>')
    .action(async (numbers: string[]) =>
      withServices(async ({ consent: c }, cfg) => console.log(`opted in: ${await c.optIn(parseNumbers(numbers, cfg.sms.defaultRegion))}`)),
    );
  consent
    .command('opt-out')
    .description('record opt-out for numbers')
    .argument('<numbers...>')
    .action(async (numbers: string[]) =>
      withServices(async ({ consent: c }, cfg) => console.log(`opted out: ${await c.optOut(parseNumbers(numbers, cfg.sms.defaultRegion))}`)),
    );
  consent
    .command('remove')
    .description('forget numbers in both lists')
    .argument('<numbers...>')
    .action(async (numbers: string[]) =>
      withServices(async ({ consent: c }, cfg) => console.log(`removed: ${await c.remove(parseNumbers(numbers, cfg.sms.defaultRegion))}`)),
    );
  consent
    .command('import')
    .description('import numbers from a CSV (column to, phone or number) or JSONL file')
    .argument('<file>')
    .option('--opt-out', 'import as opt-outs instead of opt-ins')
    .action(async (file: string, o: { optOut?: boolean }) =>
      withServices(async ({ consent: c }, cfg) => {
        let chunk: string[] = [];
        let imported = 0;
        const bad: string[] = [];
        const flush = async () => {
          imported += o.optOut ? await c.optOut(chunk) : await c.optIn(chunk);
          chunk = [];
        };
        for await (const raw of numbersFromFile(file)) {
          const r = normalizePhone(raw, cfg.sms.defaultRegion);
          if (r.ok) chunk.push(r.e164);
          else bad.push(`${raw}: ${r.reason}`);
          if (chunk.length >= 5000) await flush();
        }
        await flush();
        console.log(`${o.optOut ? 'opted out' : 'opted in'}: ${imported} new, ${bad.length} invalid`);
        for (const b of bad.slice(0, 20)) console.log(`  ${b}`);
      }),
    );
  consent
    .command('list')
    .description('list opted-in (or --opted-out) numbers')
    .option('--opted-out', 'list opt-outs')
    .action(async (o: { optedOut?: boolean }) =>
      withServices(async ({ consent: c }) => {
        let cursor = '0';
        do {
          const page = await c.list(o.optedOut ? 'out' : 'in', cursor);
          for (const n of page.numbers) console.log(n);
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
