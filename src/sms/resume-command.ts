// The exact command that carries on with a batch whose intake stopped: the same file and
// options, the same batch id. Rows the batch accepted are not sent again.
import type { RowFormat } from './row-reader.ts';

/** The options of `sms send`. */
export interface SendOptions {
  file: string;
  format?: RowFormat;
  campaign?: string;
  from?: string;
  batchId?: string;
  resume?: string;
  allowRepeat?: boolean;
  dryRun?: boolean;
  wait?: boolean;
  json?: boolean;
}

function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The command that carries on with a batch that stopped: the same file and options, the same batch id. */
export function resumeCommand(o: SendOptions, batchId: string): string {
  const args = ['npx', 'cxone-fleet', 'sms', 'send', '--file', o.file];
  if (o.format) args.push('--format', o.format);
  if (o.campaign) args.push('--campaign', o.campaign);
  if (o.from) args.push('--from', o.from);
  args.push('--batch-id', batchId);
  if (o.allowRepeat) args.push('--allow-repeat');
  if (o.wait) args.push('--wait');
  if (o.json) args.push('--json');
  return args.map(shellQuote).join(' ');
}
