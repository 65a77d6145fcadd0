// `cxone-fleet dlq list|replay <queue>`: dead letters (jobs that exhausted their attempts
// or failed as unrecoverable), listed and re-driven.
import { Command, InvalidArgumentError } from 'commander';
import { table } from '../src/cli/output.ts';
import { loadConfig } from '../src/config.ts';
import { countDeadLetters, listDeadLetters, replayDeadLetters } from '../src/dead-letters.ts';
import { connectOrExplain, createProducerContext } from '../src/producer-context.ts';
import { ALL_QUEUE_KEYS, QUEUES, queueKeyByName, type QueueKey } from '../src/queues/registry.ts';

function queueArg(name: string): QueueKey {
  const key = queueKeyByName(name);
  if (!key) throw new InvalidArgumentError(`unknown queue "${name}"; queues: ${ALL_QUEUE_KEYS.map((k) => QUEUES[k].name).join(', ')}`);
  return key;
}

function sinceOption(v: string): number {
  const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (Number.isNaN(t)) throw new InvalidArgumentError('--since must be an ISO 8601 time or epoch milliseconds');
  return t;
}

async function withQueues<T>(fn: (ctx: ReturnType<typeof createProducerContext>) => Promise<T>): Promise<T> {
  const ctx = createProducerContext(loadConfig(), { role: 'cli' });
  await connectOrExplain(ctx);
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

export function dlqCommand(): Command {
  const dlq = new Command('dlq').description('dead letters: jobs that will not be retried by themselves');
  dlq
    .command('list')
    .description('list dead letters of a queue, newest first')
    .argument('<queue>', 'queue name, e.g. sms-send', queueArg)
    .option('--since <time>', 'only those that failed at or after this time', sinceOption)
    .option('--limit <n>', 'at most this many', (v) => Number(v), 100)
    .option('--json', 'machine output (JSONL)')
    .action(async (key: QueueKey, o: { since?: number; limit: number; json?: boolean }) =>
      withQueues(async (ctx) => {
        const items = await listDeadLetters(ctx.queues, key, { since: o.since, limit: o.limit });
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
    .description('move dead letters of a queue back to waiting, attempts reset')
    .argument('<queue>', 'queue name, e.g. sms-send', queueArg)
    .option('--since <time>', 'only those that failed at or after this time', sinceOption)
    .action(async (key: QueueKey, o: { since?: number }) =>
      withQueues(async (ctx) => {
        const result = await replayDeadLetters(ctx.queues, key, { since: o.since });
        console.log(JSON.stringify(result));
      }),
    );
  return dlq;
}
