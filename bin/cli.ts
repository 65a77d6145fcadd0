// The `cxone-fleet` command line: wiring only. Every command lives in producers/: the
// process roles (worker, ingress, simulator, demo) are light and built here; the fleet-wide
// commands (audit, dlq) and each domain module's command pull in Redis, BullMQ, the
// validators and more, so they are loaded only when one of them runs: `--help` and the
// light commands start without them. Every failure goes through one handler: one line on
// stderr and a documented exit code (src/cli/exit-codes.ts).
import { Command } from 'commander';
import { demoCommand } from '../producers/demo.cli.ts';
import { ingressCommand } from '../producers/ingress.cli.ts';
import { simulatorCommand } from '../producers/simulator.cli.ts';
import { workerCommand } from '../producers/worker.cli.ts';
import { setShowPii } from '../src/cli/pii.ts';
import { describeFailure, EXIT, EXIT_CODES_HELP } from '../src/cli/exit-codes.ts';
import type { DomainCommand } from '../src/platform/domain-module.ts';
import { DOMAIN_MODULES } from '../src/platform/modules.ts';
import { readPackageInfo } from './package-info.ts';
import { logLevelSetting, selectAccount } from '../src/config.ts';

const pkg = readPackageInfo(import.meta.url);

const FLEET_COMMANDS: DomainCommand[] = [
  { name: 'audit', description: 'the append-only audit trail (dispatches, status changes)', load: async () => (await import('../producers/audit.cli.ts')).auditCommand() },
  { name: 'dlq', description: 'dead letters: jobs that exhausted their attempts (list, replay)', load: async () => (await import('../producers/dlq.cli.ts')).dlqCommand() },
  { name: 'accounts', description: 'the CXone accounts of CXONE_ACCOUNTS_FILE and where their keys live', load: async () => (await import('../producers/accounts.cli.ts')).accountsCommand() },
];

const LAZY: DomainCommand[] = [...DOMAIN_MODULES.flatMap((m) => (m.cli ? [m.cli] : [])), ...FLEET_COMMANDS];

/** Commander errors throw (and land in the one handler) instead of exiting on their own. */
function throwInsteadOfExit(cmd: Command): Command {
  cmd.exitOverride();
  for (const sub of cmd.commands) throwInsteadOfExit(sub);
  return cmd;
}

function root(): Command {
  return new Command('cxone-fleet')
    .description(pkg.description)
    .version(pkg.version)
    .option('--show-pii', 'show phone numbers, addresses and texts unmasked')
    .option('--account <id>', 'the CXone account to serve or address, from CXONE_ACCOUNTS_FILE (default: its only one)')
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP)
    // Only ever turned on: a lazy command parses again with a fresh root that has not seen
    // the flag, and must not turn it off.
    .hook('preAction', (cmd) => {
      const { showPii, account } = cmd.opts<{ showPii?: boolean; account?: string }>();
      if (showPii) setShowPii(true);
      if (account !== undefined) selectAccount(account);
    });
}

/**
 * A stand-in listed in the top-level help; when run, it loads the real command and parses
 * the same arguments with it (so its own --help, options and errors are the real ones).
 */
function lazyCommand(spec: DomainCommand): Command {
  return new Command(spec.name)
    .description(spec.description)
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(async (_args: string[], _opts: unknown, self: Command) => {
      const real = root().addCommand(await spec.load());
      await throwInsteadOfExit(real).parseAsync([spec.name, ...self.args], { from: 'user' });
    });
}

function fail(err: unknown): void {
  const { code, line } = describeFailure(err);
  if (line !== undefined) {
    // A person reads this. The stack helps only whoever debugs the fleet itself.
    const debugging = /^(debug|trace)$/.test(logLevelSetting(''));
    console.error(debugging && err instanceof Error ? err : `cxone-fleet: ${line}`);
  }
  process.exitCode = code;
}

// `... --json | head`: the reader went away; what is left to print has no reader.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(EXIT.ok);
  fail(err);
});
// An error no command caught (a stream's 'error' event nobody listened to) ends the same way.
process.on('uncaughtException', (err) => {
  fail(err);
  process.exit();
});

const program = root().addCommand(demoCommand()).addCommand(workerCommand()).addCommand(simulatorCommand()).addCommand(ingressCommand());
for (const spec of LAZY) program.addCommand(lazyCommand(spec));

try {
  await throwInsteadOfExit(program).parseAsync(process.argv);
} catch (err) {
  fail(err);
}
