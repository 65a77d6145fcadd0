// The `cxone-fleet` command line: wiring only. Each command lives in its own module and
// loads its implementation when it runs, so `--help` or a dry run does not pay for the
// ingress, the dashboard or the simulator.
import { readPackageInfo } from './package-info.ts';
import { Command } from 'commander';
import { demoCommand } from './commands/demo.ts';
import { ingressCommand } from './commands/ingress.ts';
import { simulatorCommand } from './commands/simulator.ts';
import { workerCommand } from './commands/worker.ts';
import { auditCommand } from '../producers/audit.cli.ts';
import { dlqCommand } from '../producers/dlq.cli.ts';
import { emailCommand } from '../producers/email.cli.ts';
import { smsCommand } from '../producers/sms.cli.ts';

const pkg = readPackageInfo(import.meta.url);

const program = new Command('cxone-fleet')
  .description(pkg.description)
  .version(pkg.version)
  .showHelpAfterError()
  .addCommand(demoCommand())
  .addCommand(workerCommand())
  .addCommand(simulatorCommand())
  .addCommand(ingressCommand())
  .addCommand(smsCommand())
  .addCommand(emailCommand())
  .addCommand(auditCommand())
  .addCommand(dlqCommand());

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // A person reads this: one line saying what went wrong. The stack helps only whoever
  // debugs the fleet itself, so it comes with LOG_LEVEL=debug (or trace).
  const debugging = /^(debug|trace)$/.test(process.env.LOG_LEVEL ?? '');
  if (err instanceof Error && !debugging) console.error(`cxone-fleet: ${err.message}`);
  else console.error(err);
  process.exitCode = 1;
}
