// `cxone-fleet flow validate|simulate|test`: local commands on flow files, no Redis and no
// CXone. Wiring only; the rules, the walk and the lines printed live in src/domain/flows.
import { Command } from 'commander';
import { EXIT } from '../src/cli/exit-codes.ts';
import { listOption, numberOption } from '../src/cli/options.ts';
import { loadCases, runCases } from '../src/domain/flows/flow-cases.ts';
import { formatOfFile, loadFlowFile, readFlowText } from '../src/domain/flows/load-flow.ts';
import type { LoadResult } from '../src/domain/flows/load-flow.ts';
import { casesLines, problemLines, validationLines, walkLines } from '../src/domain/flows/report.ts';
import { walkFlow } from '../src/domain/flows/simulate.ts';


const readFlow = (file: string, strict = false): LoadResult => loadFlowFile(file, { strict });

/** BigInt does not serialise; path counts go out as decimal strings. */
const json = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));

/** Prints the problems of a flow that cannot be simulated; true when it can. */
function usable(file: string, r: LoadResult): r is LoadResult & { flow: NonNullable<LoadResult['flow']> } {
  if (r.valid && r.flow) {
    for (const l of problemLines(r.problems)) console.error(l);
    return true;
  }
  for (const l of validationLines(file, r)) console.error(l);
  process.exitCode = EXIT.failure;
  return false;
}

export function flowCommand(): Command {
  const cmd = new Command('flow').description('call flows as code: validate, simulate and test flow files (YAML or JSON)');
  cmd
    .command('validate')
    .description('report every problem of flow files as `path: CODE message`; exit 1 when any has errors')
    .argument('<files...>', 'flow files (.yaml, .yml or .json)')
    .option('--strict', 'warnings count as errors')
    .option('--json', 'machine output: one JSON line per file')
    .action((files: string[], o: { strict?: boolean; json?: boolean }) => {
      for (const file of files) {
        const r = readFlow(file, !!o.strict);
        if (o.json) console.log(json({ file, valid: r.valid, errors: r.errors, warnings: r.warnings, depth: r.depth, paths: r.paths, problems: r.problems }));
        else for (const l of validationLines(file, r)) console.log(l);
        if (!r.valid) process.exitCode = EXIT.failure;
      }
    });
  cmd
    .command('simulate')
    .description('walk the flow for a sequence of caller inputs and print the path and the terminal')
    .argument('<file>', 'flow file')
    .option('--inputs <list>', 'comma-separated outcomes at collect nodes: keys, timeout or invalid', listOption, [])
    .option('--json', 'machine output')
    .action((file: string, o: { inputs: string[]; json?: boolean }) => {
      const r = readFlow(file);
      if (!usable(file, r)) return;
      const walk = walkFlow(r.flow, o.inputs);
      if (o.json) console.log(json({ file, depth: r.depth, paths: r.paths, walk }));
      else for (const l of [...walkLines(walk), `paths from the entry to a terminal: ${r.paths ?? 'unbounded'}`]) console.log(l);
      if (!walk.ok) process.exitCode = EXIT.failure;
    });
  cmd
    .command('test')
    .description('run test cases (inputs -> expected terminal) and print transition coverage; exit 1 on a failure or low coverage')
    .argument('<file>', 'flow file')
    .argument('<cases>', 'YAML or JSON list of {name, inputs, expect}')
    .option('--min-coverage <percent>', 'fail when fewer transitions than this are covered', numberOption('--min-coverage', 0, 100), 0)
    .option('--json', 'machine output')
    .action((file: string, casesFile: string, o: { minCoverage: number; json?: boolean }) => {
      const r = readFlow(file);
      if (!usable(file, r)) return;
      const text = readFlowText(casesFile);
      const cases = text.ok ? loadCases(text.text, formatOfFile(casesFile)) : text;
      if (!cases.ok) {
        for (const l of problemLines(cases.problems)) console.error(`${casesFile}: ${l}`);
        process.exitCode = EXIT.failure;
        return;
      }
      const report = runCases(r.flow, cases.cases);
      if (o.json) console.log(json({ file, cases: casesFile, ...report }));
      else for (const l of casesLines(r.flow, report, o.minCoverage)) console.log(l);
      if (report.failed > 0 || report.coverage.percent < o.minCoverage) process.exitCode = EXIT.failure;
    });
  return cmd;
}
