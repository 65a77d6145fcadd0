// `cxone-fleet flow ...`: validate, simulate and test are local (no Redis, no CXone);
// publish, status, revisions, diff, rollback and metrics go through Redis and the
// flow-publish queue; subscribe registers the flow.* event subscription with CXone.
// Wiring only; the rules live in src/domain/flows, the rest in src/flows.
import { Command } from 'commander';
import { EXIT } from '../src/cli/exit-codes.ts';
import { intOption, listOption, numberOption } from '../src/cli/options.ts';
import type { Config } from '../src/config.ts';
import type { FlowServices, PublishAccepted } from '../src/flows/services.ts';
import { loadCases, runCases } from '../src/domain/flows/flow-cases.ts';
import { formatOfFile, loadFlowFile, readFlowText } from '../src/domain/flows/load-flow.ts';
import type { LoadResult } from '../src/domain/flows/load-flow.ts';
import type { Flow } from '../src/domain/flows/flow-schema.ts';
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

// Redis, BullMQ and the services load when a command that needs them runs.
async function withFlows<T>(fn: (svc: FlowServices, config: Config) => Promise<T>): Promise<T> {
  const [{ loadConfig }, { withCliProducer }, { flowServicesFor }] = await Promise.all([
    import('../src/config.ts'),
    import('../src/producer-context.ts'),
    import('../src/flows/producer.ts'),
  ]);
  return withCliProducer(loadConfig(), (ctx) => fn(flowServicesFor(ctx), ctx.config));
}

interface PublishOpts {
  message?: string;
  force?: boolean;
  wait?: boolean;
  timeout: number;
  json?: boolean;
}

/** Prints the accepted publish and, with --wait, each step and the outcome; exit 1 when it failed. */
async function announce(svc: FlowServices, accepted: PublishAccepted, o: PublishOpts): Promise<void> {
  const { acceptedLines, outcomeLines, stepLine } = await import('../src/flows/format.ts');
  if (o.json && !o.wait) return void console.log(json(accepted));
  if (!o.json) for (const l of acceptedLines(accepted)) console.log(l);
  if (!o.wait) return;
  const rec = await svc.waitForPublish(accepted.publishId, (l) => (o.json ? undefined : console.log(stepLine(l))), { timeoutMs: o.timeout * 1000 });
  if (o.json) console.log(json(await svc.publishStatus(accepted.publishId)));
  else for (const l of outcomeLines(rec)) console.log(l);
  if (rec.status === 'failed') process.exitCode = EXIT.failure;
}

function publishOptions(c: Command): Command {
  return c
    .option('-m, --message <text>', 'what changed (kept with the revision)')
    .option('--wait', 'follow the publish: print each step, then the flow id and revision (exit 1 when it fails)')
    .option('--timeout <seconds>', 'with --wait: stop following after this long (the publish goes on)', intOption('--timeout', 1), 300)
    .option('--json', 'machine output');
}

function registerPublishing(cmd: Command): void {
  publishOptions(
    cmd
      .command('publish')
      .description('validate the flow again and publish it to CXone as one resumable job; unchanged content is not published again')
      .argument('<file>', 'flow file (.yaml, .yml or .json)')
      .option('--force', 'publish even when the content equals the latest revision'),
  ).action(async (file: string, o: PublishOpts) => {
    const r = readFlow(file);
    if (!usable(file, r)) return;
    await withFlows(async (svc) => announce(svc, await svc.publish(r.flow, { message: o.message, force: !!o.force }), o));
  });
  publishOptions(
    cmd
      .command('rollback')
      .description('publish the content of an earlier revision again, as a new revision')
      .argument('<name>', 'flow name')
      .requiredOption('--to <revision>', 'the revision whose content to publish', intOption('--to', 1)),
  ).action(async (name: string, o: PublishOpts & { to: number }) => {
    await withFlows(async (svc) => announce(svc, await svc.rollback(name, o.to, { message: o.message }), o));
  });
  cmd
    .command('status')
    .description('one publish by its id (steps, CXone job and flow ids, errors), or a flow by its name (revisions, recent events)')
    .argument('<publishId|name>')
    .option('--json', 'machine output')
    .action(async (ref: string, o: { json?: boolean }) => {
      const { overviewLines, statusLines } = await import('../src/flows/format.ts');
      await withFlows(async (svc) => {
        const pub = await svc.publishStatus(ref);
        const overview = pub ? undefined : await svc.overview(ref);
        if (!pub && !overview) throw new Error(`no publish with id ${ref} and no published flow named "${ref}"`);
        if (o.json) console.log(json(pub ?? overview));
        else for (const l of pub ? statusLines(pub) : overviewLines(overview!)) console.log(l);
      });
    });
  cmd
    .command('revisions')
    .description('the published revisions of a flow: number, time, content hash, CXone flow and job, message')
    .argument('<name>', 'flow name')
    .option('--json', 'machine output')
    .action(async (name: string, o: { json?: boolean }) => {
      const { revisionLines } = await import('../src/flows/format.ts');
      await withFlows(async (svc) => {
        const revs = await svc.store.revisions(name);
        if (o.json) console.log(json(revs));
        else for (const l of revisionLines(revs)) console.log(l);
      });
    });
  cmd
    .command('diff')
    .description('what changed between two flows; each a file or name@revision; exit 1 when they differ')
    .argument('<a>')
    .argument('<b>')
    .option('--json', 'machine output')
    .action(async (a: string, b: string, o: { json?: boolean }) => {
      const { parseRevisionRef } = await import('../src/flows/services.ts');
      const sides = [a, b].map((x) => {
        if (parseRevisionRef(x)) return x;
        const r = readFlow(x);
        if (!r.flow) throw new Error(`${x}: ${validationLines(x, r).join('; ')}`);
        return r.flow;
      });
      const needsRedis = sides.some((x) => typeof x === 'string');
      const { diffFlows } = await import('../src/domain/flows/diff.ts');
      const changes = needsRedis ? await withFlows((svc) => svc.diff(sides[0]!, sides[1]!)) : diffFlows(sides[0] as Flow, sides[1] as Flow);
      const { diffLines } = await import('../src/flows/format.ts');
      if (o.json) console.log(json(changes));
      else for (const l of diffLines(changes)) console.log(l);
      if (changes.length > 0) process.exitCode = EXIT.failure;
    });
  cmd
    .command('metrics')
    .description("the fleet-wide build counters: total builds, successful and failed validations, total latency")
    .option('--json', 'machine output')
    .action(async (o: { json?: boolean }) => {
      const { metricsLines } = await import('../src/flows/format.ts');
      await withFlows(async (svc) => {
        const m = await svc.metrics();
        if (o.json) console.log(json(m));
        else for (const l of metricsLines(m)) console.log(l);
      });
    });
  cmd
    .command('subscribe')
    .description('register the flow.* event subscription with CXone once (409 = already there); the secret by variable name only')
    .requiredOption('--url <url>', 'where CXone sends the events (this fleet\'s /webhooks/flows/events)')
    .requiredOption('--secret-env <NAME>', 'environment variable holding the signing secret (one of SECRET_ENV_PREFIXES)')
    .option('--event-types <list>', 'comma-separated subset of flow.created, flow.updated, flow.deleted', listOption)
    .action(async (o: { url: string; secretEnv: string; eventTypes?: string[] }) => {
      const [{ loadConfig }, { withCliProducer }, { subscribeOnce }] = await Promise.all([
        import('../src/config.ts'),
        import('../src/producer-context.ts'),
        import('../src/flows/subscribe-once.ts'),
      ]);
      const r = await withCliProducer(loadConfig(), (ctx) => subscribeOnce(ctx, { url: o.url, secretEnv: o.secretEnv, eventTypes: o.eventTypes }));
      console.log(`${r.created ? 'registered' : 'already registered'}: subscription ${r.id} for ${r.url} (${r.eventTypes.join(', ')}), signed with $${r.secretEnv}`);
    });
}

export function flowCommand(): Command {
  const cmd = new Command('flow').description('call flows as code: validate, simulate, test, publish, and follow revisions and events');
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
  registerPublishing(cmd);
  return cmd;
}
