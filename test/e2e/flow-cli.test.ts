// `cxone-fleet flow validate|simulate|test` as a user runs them: a child process, its
// output lines and its exit code (FL-E2E). Local only: no Redis, no simulator.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture } from '../fixtures/flows/build.ts';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const EXAMPLE = path.join(ROOT, 'examples/flows/outbound-ivr.yaml');
const tmp = mkdtempSync(path.join(tmpdir(), 'flow-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function cli(args: string[]) {
  try {
    const r = await run(process.execPath, ['bin/cxone-fleet.js', 'flow', ...args], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'silent' }, timeout: 60_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const lines = (s: string) => s.split('\n').filter((l) => l !== '');

// Each CLI run starts tsx in a child; on a loaded 2-core box that takes seconds.
describe('flow validate', { timeout: 180_000 }, () => {
  it('prints every problem of a bad flow as `path: CODE message` and exits 1', async () => {
    const r = await cli(['validate', fixture('bad-five.json')]);
    expect(r.code).toBe(1);
    const out = lines(r.stdout);
    expect(out).toEqual([
      'nodes[2].actions[0].max_retries: RETRIES_EXCEEDED node collect_input exceeds max retries (4 > 3)',
      'nodes[6].id: DUPLICATE_NODE_ID duplicate node id "route_agent" (first defined at nodes[3])',
      'transitions[3].to_node: TRANSITION_TO_MISSING transition references missing to_node: dsiconnect',
      'nodes[5]: UNREACHABLE node orphan is unreachable from entry node start',
      'transitions[4].condition: AMBIGUOUS_CONDITION node collect_input already branches on "input=1" at transitions[2]; only the first fires (warning)',
      `${fixture('bad-five.json')}: invalid: 4 errors, 1 warning`,
    ]);
  });

  it('reports the graph problems of a YAML flow: loop listed, dead end, unreachable, disclosure order', async () => {
    const r = await cli(['validate', fixture('bad-graph.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('transitions[5]: CYCLE circular transition detected at node loop_a: loop_a -> loop_b -> loop_a');
    expect(r.stdout).toContain('nodes[5]: DEAD_END dead end detected at non-terminal node stuck');
    expect(r.stdout).toContain('nodes[6]: UNREACHABLE node island is unreachable from entry node start');
    expect(r.stdout).toContain('nodes[1]: DISCLOSURE_NOT_FIRST agent node agent can be reached before any disclosure node: start -> agent');
  });

  it('a valid flow exits 0 with its figures; warnings fail only with --strict; --json is machine output', async () => {
    const ok = await cli(['validate', fixture('seed-example.json')]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/valid "Q3 Outbound Compliance Campaign": 6 nodes, 5 transitions, depth 3, 3 paths to a terminal/);

    const warn = path.join(tmp, 'warn.json');
    const flow = JSON.parse(readFileSync(fixture('seed-example.json'), 'utf8')) as { transitions: { condition: string }[] };
    flow.transitions[4]!.condition = 'invalid';
    writeFileSync(warn, JSON.stringify(flow));
    const lenient = await cli(['validate', warn]);
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toContain('nodes[2]: UNHANDLED_INPUT collect node collect_input has no branch for timeout');
    expect((await cli(['validate', warn, '--strict'])).code).toBe(1);

    const json = await cli(['validate', warn, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: true, errors: 0, warnings: 1, depth: 3, paths: '3', problems: [{ code: 'UNHANDLED_INPUT', path: 'nodes[2]', severity: 'warning' }] });
  });

  it('validates several files in one run and fails when any one has errors', async () => {
    const r = await cli(['validate', fixture('seed-example.json'), EXAMPLE, fixture('bad-graph.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/seed-example\.json: valid /);
    expect(r.stdout).toMatch(/outbound-ivr\.yaml: valid /);
    expect(r.stdout).toMatch(/bad-graph\.yaml: invalid: 5 errors, 0 warnings/);
  });

  it('a YAML syntax error names its line and exits 1', async () => {
    const broken = path.join(tmp, 'broken.yaml');
    writeFileSync(broken, 'name: x\nnodes:\n  - id: a\n   type: play\n');
    const r = await cli(['validate', broken]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^\(file\): SYNTAX invalid YAML at line 4, column \d+: /m);
  });
});

describe('flow simulate and flow test', { timeout: 180_000 }, () => {
  it('simulate prints the path and the terminal; a missing input is an error naming the node', async () => {
    const r = await cli(['simulate', EXAMPLE, '--inputs', '9']);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual(['path: greeting -> disclosure -> menu [9] -> opt_out_confirm -> goodbye', 'terminal: goodbye (disconnect)', 'paths from the entry to a terminal: 5']);
    const missing = await cli(['simulate', EXAMPLE]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('menu: INPUT_MISSING collect node menu waits for input #1, but only 0 given');
  });

  it('the example flow and its cases pass with full coverage', async () => {
    const r = await cli(['test', EXAMPLE, EXAMPLE.replace(/\.yaml$/, '.cases.yaml'), '--min-coverage', '100']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('5/5 cases passed');
    expect(r.stdout).toContain('coverage: 8/8 transitions (100%), minimum 100%');
  });

  it('a failing case or coverage under the minimum exits 1 and says which', async () => {
    const cases = path.join(tmp, 'cases.yaml');
    writeFileSync(cases, '- {name: agent, inputs: [1], expect: agent}\n- {name: wrong, inputs: [2], expect: agent}\n');
    const r = await cli(['test', EXAMPLE, cases]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAIL wrong: ended at callback (callback), expected agent');
    expect(r.stdout).toContain('not covered: transitions[4] menu -> opt_out_confirm (input=9)');

    writeFileSync(cases, '- {name: agent, inputs: [1], expect: agent}\n');
    const low = await cli(['test', EXAMPLE, cases, '--min-coverage', '50']);
    expect(low.code).toBe(1);
    expect(low.stdout).toContain('coverage: 3/8 transitions (37.5%), minimum 50%');

    const bad = await cli(['test', EXAMPLE, fixture('bad-five.json')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/SCHEMA/);
  });
});
