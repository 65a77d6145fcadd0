// `cxone-fleet audit export`: the audit trail as JSONL, by time range.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Command } from 'commander';
import { timeOption } from '../src/cli/options.ts';
import { createAuditLog } from '../src/audit.ts';
import { loadConfig } from '../src/config.ts';
import { withCliProducer } from '../src/producer-context.ts';

export function auditCommand(): Command {
  const audit = new Command('audit').description('the append-only audit trail (dispatches, status changes)');
  audit
    .command('export')
    .description('write audit records in [--since, --until] as JSONL')
    .option('--since <time>', 'ISO 8601 or epoch ms (default: 24 h ago)', timeOption('--since'))
    .option('--until <time>', 'ISO 8601 or epoch ms (default: now)', timeOption('--until'))
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .action(async (o: { since?: number; until?: number; out?: string }) => {
      const n = await withCliProducer(loadConfig(), async (ctx) => {
        const out = o.out ? createWriteStream(o.out) : process.stdout;
        let written = 0;
        try {
          const log = createAuditLog({ redis: ctx.redis, prefix: ctx.config.redis.prefix });
          for await (const r of log.range(o.since ?? Date.now() - 24 * 3600_000, o.until ?? Date.now())) {
            if (!out.write(`${JSON.stringify(r)}\n`)) await once(out, 'drain');
            written++;
          }
        } finally {
          if (o.out) out.end();
        }
        return written;
      });
      console.error(`exported ${n} audit records`);
    });
  return audit;
}
