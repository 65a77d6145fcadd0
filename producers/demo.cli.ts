import { Command } from 'commander';
import { intOption, numberOption } from '../src/cli/options.ts';

export function demoCommand(): Command {
  return new Command('demo')
    .description('run the whole fleet on loopback (Redis, simulator, ingress, workers), send a generated batch, report')
    .option('-n, --messages <n>', 'messages in the generated batch', intOption('--messages', 1), 3000)
    .option('--rps <n>', 'the simulated CXone account limit (requests/s)', numberOption('--rps', 1), 200)
    .option('-w, --workers <n>', 'worker processes', intOption('--workers', 1), 2)
    .option('--exit', 'stop everything after the report (default: keep running for the dashboard)')
    .action(async (o: { messages: number; rps: number; workers: number; exit?: boolean }) => {
      const { runDemo } = await import('../src/demo/run-demo.ts');
      await runDemo({ ...o, exit: !!o.exit, print: (line) => console.log(line) });
    });
}
