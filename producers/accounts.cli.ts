// `cxone-fleet accounts`: the accounts of CXONE_ACCOUNTS_FILE, each checked as a fleet would
// load it (secrets read, never shown), with its prefix, cluster slot and current master.
import { Command } from 'commander';
import { accountPlacements } from '../src/accounts-placement.ts';
import { table } from '../src/cli/output.ts';
import { loadAccountConfigs } from '../src/config.ts';
import { withCliProducer } from '../src/producer-context.ts';

export function accountsCommand(): Command {
  return new Command('accounts')
    .description('the CXone accounts of CXONE_ACCOUNTS_FILE: prefix, cluster slot and the master serving it')
    .option('--json', 'machine output (JSONL)')
    .action(async (o: { json?: boolean }) => {
      const configs = loadAccountConfigs(['all']);
      const placed = await withCliProducer(configs[0]!, (ctx) => accountPlacements(configs, ctx.redis));
      if (o.json) {
        for (const p of placed) console.log(JSON.stringify(p));
        return;
      }
      console.log(table([['account', 'prefix', 'slot', 'master', 'base URL', 'client id'], ...placed.map((p) => [p.account, p.prefix, p.slot, p.master ?? '(single Redis)', p.baseUrl, p.clientId])]));
    });
}
