// Walks, test cases and transition coverage (B5): each way a walk can go wrong has its
// own code; coverage counts the transitions the cases took.
import { describe, expect, it } from 'vitest';
import { loadCases, runCases } from '../../src/domain/flows/flow-cases.ts';
import { loadFlowFile } from '../../src/domain/flows/load-flow.ts';
import { countFlowPaths, walkFlow } from '../../src/domain/flows/simulate.ts';
import { diamondLattice, fixture, graphFlow, seedFlow } from '../fixtures/flows/build.ts';

const ids = (r: ReturnType<typeof walkFlow>) => r.steps.map((s) => s.node);

describe('walkFlow', () => {
  it('follows keys, timeout and invalid; an unknown key falls back to the invalid branch', () => {
    const f = seedFlow();
    const one = walkFlow(f, ['1']);
    expect(one).toMatchObject({ ok: true, terminal: { id: 'route_agent', type: 'agent' } });
    expect(ids(one)).toEqual(['start', 'disclosure', 'collect_input', 'route_agent']);
    expect(one.steps.map((s) => s.transition)).toEqual([0, 1, 2, undefined]);
    expect(walkFlow(f, ['timeout'])).toMatchObject({ ok: true, terminal: { id: 'disconnect' } });
    expect(walkFlow(f, ['7'])).toMatchObject({ ok: true, terminal: { id: 'disconnect' } });
    expect(walkFlow(f, ['input=2'])).toMatchObject({ ok: true, terminal: { id: 'schedule_callback' } });
  });

  it('names what went wrong and where', () => {
    const f = seedFlow();
    expect(walkFlow(f, [])).toMatchObject({ ok: false, error: { code: 'INPUT_MISSING', node: 'collect_input' } });
    expect(walkFlow(f, ['1', '2'])).toMatchObject({ ok: false, error: { code: 'UNUSED_INPUT', message: 'the call ended at agent node route_agent with 1 input(s) unused: 2' } });
    expect(walkFlow(f, ['press'])).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', message: 'input #1 "press" is not a key (0-9, *, #), timeout or invalid' } });
    f.transitions.pop();
    expect(walkFlow(f, ['9'])).toMatchObject({ ok: false, error: { code: 'NO_MATCH', node: 'collect_input' } });
    f.entry_node = 'nowhere';
    expect(walkFlow(f, [])).toMatchObject({ ok: false, error: { code: 'ENTRY_MISSING' } });
  });

  it('stops at a dead end and at a loop without terminal', () => {
    const dead = graphFlow(['disclosure', 'play'], [[0, 1]]);
    expect(walkFlow(dead, [])).toMatchObject({ ok: false, error: { code: 'DEAD_END', node: 'v1' } });
    const loop = graphFlow(['disclosure', 'play'], [
      [0, 1],
      [1, 0],
    ]);
    expect(walkFlow(loop, [])).toMatchObject({ ok: false, error: { code: 'STEP_LIMIT' } });
  });
});

describe('countFlowPaths and loadFlowFile', () => {
  it('counts paths without listing them; a reachable loop is unbounded', () => {
    expect(countFlowPaths(seedFlow())).toBe(3n);
    expect(countFlowPaths(diamondLattice(20))).toBe(2n ** 20n);
    expect(countFlowPaths(diamondLattice(200))).toBe(2n ** 200n);
    expect(countFlowPaths(graphFlow(['disclosure', 'play', 'disconnect'], [[0, 1], [1, 0], [1, 2]]))).toBeNull();
  });

  it('reads a file by its extension, or says why it cannot', () => {
    expect(loadFlowFile(fixture('seed-example.json'))).toMatchObject({ valid: true, paths: 3n });
    expect(loadFlowFile(fixture('bad-graph.yaml')).errors).toBe(5);
    expect(loadFlowFile(fixture('missing.yaml')).problems).toMatchObject([{ code: 'FILE_UNREADABLE', message: expect.stringMatching(/^cannot read .*missing\.yaml: ENOENT/) }]);
  });
});

describe('cases and coverage', () => {
  const CASES = `
- name: agent
  inputs: [1]
  expect: agent
- name: wrong terminal
  inputs: [2]
  expect: route_agent
`;

  it('reports pass/fail per case and the transitions no case took', () => {
    const loaded = loadCases(CASES, 'yaml');
    if (!loaded.ok) throw new Error('cases did not load');
    const r = runCases(seedFlow(), loaded.cases);
    expect(r.results.map((c) => [c.name, c.passed, c.reason])).toEqual([
      ['agent', true, undefined],
      ['wrong terminal', false, 'ended at schedule_callback (callback), expected route_agent'],
    ]);
    expect(r.coverage).toEqual({ covered: 4, total: 5, percent: 80, uncovered: [4] });
  });

  it('rounds coverage down, so a gate never passes on rounding', () => {
    const loaded = loadCases('cases:\n  - {name: a, inputs: [1], expect: agent}\n', 'yaml');
    if (!loaded.ok) throw new Error('cases did not load');
    const f = seedFlow();
    f.nodes.push({ id: 'x', type: 'disconnect', actions: [] });
    for (let i = 0; i < 4; i++) f.transitions.push({ from_node: 'collect_input', to_node: 'x', condition: `input=${i + 3}` });
    // 3 of 9 transitions = 33.33...%
    expect(runCases(f, loaded.cases).coverage.percent).toBe(33.3);
  });

  it('refuses a bad cases file with paths', () => {
    const bad = loadCases('cases:\n  - {name: a, inputs: [1]}\n  - {name: a, inputs: [[1]], expect: agent}\n', 'yaml');
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.problems.map((p) => p.path)).toEqual(['cases[0].expect', 'cases[1].inputs[0]']);
    const dupes = loadCases('- {name: a, expect: agent}\n- {name: a, expect: agent}\n', 'yaml');
    expect(dupes).toMatchObject({ ok: false, problems: [{ path: '[1].name', message: 'duplicate case name "a" (first at [0])' }] });
    expect(loadCases('[]', 'json')).toMatchObject({ ok: false, problems: [{ message: 'at least one case' }] });
  });
});
