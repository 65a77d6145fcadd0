// The `cxone-fleet` command line: wiring only. Each command lives in its own module and
// loads its implementation when it runs, so `--help` or a dry run does not pay for the
// ingress, the dashboard or the simulator.
import { createRequire } from 'node:module';
import { Command } from 'commander';
import { ConfigError } from '../src/config.ts';
import { ValidationError } from '../src/errors.ts';
import { demoCommand } from './commands/demo.ts';
import { ingressCommand } from './commands/ingress.ts';
import { simulatorCommand } from './commands/simulator.ts';
import { workerCommand } from './commands/worker.ts';
import { auditCommand } from '../producers/audit.cli.ts';
import { dlqCommand } from '../producers/dlq.cli.ts';
import { emailCommand } from '../producers/email.cli.ts';
import { smsCommand } from '../producers/sms.cli.ts';

const pkg = createRequire(import.meta.url)('../package.json') as { version: string; description: string };

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
  // Expected failures get one readable message; anything else keeps its stack.
  if (err instanceof ConfigError || err instanceof ValidationError) {
    console.error(`cxone-fleet: ${err.message}`);
  } else {
    console.error(err);
  }
  process.exitCode = 1;
}
