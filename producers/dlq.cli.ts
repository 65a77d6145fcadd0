// `cxone-fleet dlq list|replay <queue>`: dead letters (jobs that exhausted their attempts
// or failed as unrecoverable), listed and re-driven.
import { Command, InvalidArgumentError } from 'commander';
import { table } from '../src/cli/output.ts';
import { loadConfig } from '../src/config.ts';
import { countDeadLetters, listDeadLetters, redriveDeadLetters, type RedriveReport } from '../src/dead-letters.ts';
import { maskJobData } from '../src/mask.ts';
import { piiShown } from '../src/cli/pii.ts';
import { withCliProducer, type ProducerContext } from '../src/producer-context.ts';
import { EXIT } from '../src/cli/exit-codes.ts';
import { intOption, repeatableOption, timeOption } from '../src/cli/options.ts';
import { ALL_QUEUE_KEYS, QUEUES, queueKeyByName, type QueueKey } from '../src/queues/registry.ts';
import { replayGuardFor } from '../src/platform/modules.ts';

function queueArg(name: string): QueueKey {
  const key = queueKeyByName(name);
  if (!key) throw new InvalidArgumentError(`unknown queue "${name}"; queues: ${ALL_QUEUE_KEYS.map((k) => QUEUES[k].name).join(', ')}`);
  return key;
}


function printReport(r: RedriveReport) {
  console.log(`${r.dryRun ? 'would replay' : 'replayed'} ${r.replayed.length}, skipped ${r.skipped.length}, errors ${r.errors.length} (${r.queue})`);
  if (r.replayed.length) console.log(`  ${r.dryRun ? 'would replay' : 'replayed'}: ${r.replayed.slice(0, 50).join(' ')}${r.replayed.length > 50 ? ' ...' : ''}`);
  for (const s of r.skipped.slice(0, 50)) console.log(`  skipped ${s.jobId}: ${s.reason}`);
  for (const e of r.errors.slice(0, 50)) console.log(`  error ${e.jobId}: ${e.message}`);
}

function withQueues<T>(fn: (ctx: ProducerContext) => Promise<T>): Promise<T> {
  return withCliProducer(loadConfig(), fn);
}

export function dlqCommand(): Command {
  const dlq = new Command('dlq').description('dead letters: jobs that will not be retried by themselves');
  dlq
    .command('list')
    .description('list dead letters of a queue, newest first')
    .argument('<queue>', 'queue name, e.g. sms-send', queueArg)
    .option('--since <time>', 'only those that failed at or after this time', timeOption('--since'))
    .option('--limit <n>', 'at most this many', intOption('--limit', 1), 100)
    .option('--json', 'machine output (JSONL)')
    .action(async (key: QueueKey, o: { since?: number; limit: number; json?: boolean }) =>
      withQueues(async (ctx) => {
        const listed = await listDeadLetters(ctx.queues, key, { since: o.since, limit: o.limit });
        // Masked unless the global --show-pii was given.
        const items = piiShown() ? listed : listed.map((d) => ({ ...d, data: maskJobData(d.data) }));
        if (o.json) {
          for (const d of items) console.log(JSON.stringify(d));
          return;
        }
        console.log(`${await countDeadLetters(ctx.queues, key)} dead letters in ${QUEUES[key].name}`);
        if (items.length) {
          console.log(table([['job', 'failed at', 'attempts', 'reason'], ...items.map((d) => [d.jobId, d.failedAt ?? '', `${d.attemptsMade}/${d.attempts}`, d.failedReason.slice(0, 100)])]));
        }
      }),
    );
  dlq
    .command('replay')
    .description('re-drive dead letters of a queue (attempts reset); sms-send re-sends failed/unknown messages with their idempotency key')
    .argument('<queue>', 'queue name, e.g. sms-send', queueArg)
    .option('--since <time>', 'only those that failed at or after this time', timeOption('--since'))
    .option('--limit <n>', 'replay at most this many', intOption('--limit', 1))
    .option('--id <jobId>', 'only this job (repeatable)', repeatableOption)
    .option('--dry-run', 'report what would be replayed and skipped; change nothing')
    .option('--json', 'machine output')
    .action(async (key: QueueKey, o: { since?: number; limit?: number; id?: string[]; dryRun?: boolean; json?: boolean }) =>
      withQueues(async (ctx) => {
        const report = await redriveDeadLetters(ctx.queues, key, { since: o.since, limit: o.limit, ids: o.id, dryRun: o.dryRun, guard: await replayGuardFor(key, ctx) });
        if (o.json) console.log(JSON.stringify(report));
        else printReport(report);
        if (report.errors.length) process.exitCode = EXIT.failure;
      }),
    );
  return dlq;
}
