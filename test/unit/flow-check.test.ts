// FL-U1..FL-U6: each problem code from its own small flow, with its code, JSON path and the
// seed's wording where the seed has one; every problem of a flow at once (F-68).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkFlow, validateFlow } from '../../src/domain/flows/check-flow.ts';
import type { Flow } from '../../src/domain/flows/flow-schema.ts';
import { loadFlow } from '../../src/domain/flows/load-flow.ts';
import { formatProblem } from '../../src/domain/flows/problems.ts';
import type { FlowProblem, ProblemCode } from '../../src/domain/flows/problems.ts';
import { chain, fixture, graphFlow, node, seedFlow } from '../fixtures/flows/build.ts';

const codes = (ps: readonly FlowProblem[]) => ps.map((p) => p.code).sort();
const mutate = (fn: (f: Flow) => void): Flow => {
  const f = seedFlow();
  fn(f);
  return f;
};

interface Case {
  code: ProblemCode;
  flow: Flow;
  path: string;
  message: string | RegExp;
  severity?: 'error' | 'warning';
  /** Other codes the same change must (and may only) bring. */
  also?: ProblemCode[];
  opts?: Parameters<typeof checkFlow>[1];
}

const CASES: Case[] = [
  { code: 'DUPLICATE_NODE_ID', flow: mutate((f) => f.nodes.push(node('disconnect', 'disconnect'))), path: 'nodes[6].id', message: 'duplicate node id "disconnect" (first defined at nodes[5])' },
  { code: 'ENTRY_MISSING', flow: mutate((f) => (f.entry_node = 'begin')), path: 'entry_node', message: 'entry node begin does not exist' },
  { code: 'TRANSITION_FROM_MISSING', flow: mutate((f) => f.transitions.push({ from_node: 'ghost', to_node: 'disconnect', condition: 'always' })), path: 'transitions[5].from_node', message: 'transition references missing from_node: ghost' },
  { code: 'TRANSITION_TO_MISSING', flow: mutate((f) => ((f.transitions[4] as Flow['transitions'][number]).to_node = 'dsiconnect')), path: 'transitions[4].to_node', message: 'transition references missing to_node: dsiconnect', also: ['UNREACHABLE'] },
  { code: 'DISCLOSURE_MISSING', flow: mutate((f) => ((f.nodes[1] as Flow['nodes'][number]).type = 'play')), path: 'nodes', message: 'flow missing required regulatory disclosure node' },
  { code: 'RETRIES_EXCEEDED', flow: mutate((f) => (f.nodes[2]!.actions[0]!.max_retries = 4)), path: 'nodes[2].actions[0].max_retries', message: 'node collect_input exceeds max retries (4 > 3)' },
  {
    code: 'CYCLE',
    flow: mutate((f) => f.transitions.push({ from_node: 'collect_input', to_node: 'disclosure', condition: 'input=9' })),
    path: 'transitions[5]',
    message: 'circular transition detected at node disclosure: disclosure -> collect_input -> disclosure',
  },
  {
    code: 'DEAD_END',
    flow: mutate((f) => {
      f.nodes.push(node('hold', 'play'));
      f.transitions.push({ from_node: 'collect_input', to_node: 'hold', condition: 'input=3' });
    }),
    path: 'nodes[6]',
    message: 'dead end detected at non-terminal node hold',
  },
  { code: 'UNREACHABLE', flow: mutate((f) => f.nodes.push(node('orphan', 'disconnect'))), path: 'nodes[6]', message: 'node orphan is unreachable from entry node start' },
  { code: 'UNKNOWN_NODE_TYPE', flow: mutate((f) => (f.nodes[0]!.type = 'menu')), path: 'nodes[0].type', message: /^unknown node type "menu" at node start: use one of play, disclosure/ },
  { code: 'UNKNOWN_DIRECTIVE', flow: mutate((f) => (f.nodes[0]!.actions[0]!.directive = 'plya')), path: 'nodes[0].actions[0].directive', message: /^unknown directive "plya" at node start/ },
  { code: 'INVALID_CONDITION', flow: mutate((f) => (f.transitions[0]!.condition = 'sometimes')), path: 'transitions[0].condition', message: /^unknown condition "sometimes"/ },
  { code: 'AMBIGUOUS_CONDITION', flow: mutate((f) => f.transitions.push({ from_node: 'collect_input', to_node: 'disconnect', condition: 'input=1' })), path: 'transitions[5].condition', message: 'node collect_input already branches on "input=1" at transitions[2]; only the first fires', severity: 'warning' },
  { code: 'UNHANDLED_INPUT', flow: mutate((f) => (f.transitions[4]!.condition = 'invalid')), path: 'nodes[2]', message: 'collect node collect_input has no branch for timeout: a caller who does that is stuck', severity: 'warning' },
  {
    code: 'INPUT_ON_NON_COLLECT',
    flow: mutate((f) => f.transitions.push({ from_node: 'start', to_node: 'disconnect', condition: 'input=1' })),
    path: 'transitions[5].condition',
    message: 'node start (play) reads no input, so "input=1" never fires; use always',
    severity: 'warning',
    also: ['AMBIGUOUS_CONDITION'],
  },
  { code: 'TERMINAL_HAS_TRANSITIONS', flow: mutate((f) => f.transitions.push({ from_node: 'route_agent', to_node: 'disconnect', condition: 'always' })), path: 'transitions[5]', message: /^node route_agent is a agent terminal/, severity: 'warning' },
  { code: 'ACTION_MISMATCH', flow: mutate((f) => (f.nodes[0]!.actions[0]!.media_url = 'http://cdn.example.com/a.wav')), path: 'nodes[0].actions[0].media_url', message: 'node start: media_url "http://cdn.example.com/a.wav" is not an https URL' },
  { code: 'TOO_MANY_NODES', flow: seedFlow(), path: 'nodes', message: /^6 nodes is more than 5/, severity: 'warning', opts: { maxNodesWarn: 5 } },
];

describe('FL-U1 one flow per problem code', () => {
  it.each(CASES.map((c) => [c.code, c] as const))('%s', (_code, c) => {
    const r = checkFlow(c.flow, c.opts);
    expect(codes(r.problems)).toEqual([c.code, ...(c.also ?? [])].sort());
    const p = r.problems.find((x) => x.code === c.code) as FlowProblem;
    expect(p.path).toBe(c.path);
    if (typeof c.message === 'string') expect(p.message).toBe(c.message);
    else expect(p.message).toMatch(c.message);
    expect(p.severity).toBe(c.severity ?? 'error');
    expect(r.valid).toBe(p.severity === 'warning' && r.errors === 0);
  });

  it('SCHEMA: every shape error with its JSON path, unknown fields named', () => {
    const r = validateFlow({ name: 'x', nodes: [{ id: 'a', tpye: 'play' }, { id: 3, type: 'play', actions: [{ directive: 'play', max_retries: 1.5 }] }], transitions: 'none' });
    expect(r.flow).toBeNull();
    expect(r.problems.map(formatProblem).sort()).toEqual(
      [
        'entry_node: SCHEMA required',
        'nodes[0].type: SCHEMA required',
        'nodes[0].tpye: SCHEMA unknown field',
        'nodes[1].id: SCHEMA Invalid input: expected string, received number',
        'nodes[1].actions[0].max_retries: SCHEMA must be an integer',
        'transitions: SCHEMA Invalid input: expected array, received string',
      ].sort(),
    );
  });

  it('SYNTAX: YAML and JSON errors carry the line; schema problems in YAML too', () => {
    const yaml = loadFlow('name: x\nentry_node: a\nnodes:\n  - id: a\n    type: play\n    colour: red\n', 'yaml');
    expect(yaml.problems.map(formatProblem)).toEqual(['nodes[0].colour: SCHEMA unknown field (line 6)']);
    const broken = loadFlow('name: x\nnodes: [\n', 'yaml');
    expect(broken.problems[0]?.code).toBe('SYNTAX');
    expect(broken.problems[0]?.message).toMatch(/^invalid YAML at line \d+, column \d+: /);
    const json = loadFlow('{\n  "name": "x",,\n}', 'json');
    expect(json.problems[0]?.message).toMatch(/invalid JSON: .*line 2/);
    expect(loadFlow('  ', 'auto').problems.map(formatProblem)).toEqual(['(file): SYNTAX the file is empty']);
  });

  it('a flow with five problems reports all five', () => {
    const r = loadFlow(readFileSync(fixture('bad-five.json'), 'utf8'), 'json');
    expect(r.problems).toHaveLength(5);
    expect(codes(r.problems)).toEqual(['AMBIGUOUS_CONDITION', 'DUPLICATE_NODE_ID', 'RETRIES_EXCEEDED', 'TRANSITION_TO_MISSING', 'UNREACHABLE']);
    expect(r.problems.map(formatProblem)).toContain('transitions[3].to_node: TRANSITION_TO_MISSING transition references missing to_node: dsiconnect');
  });

  it('strict turns warnings into errors', () => {
    const f = mutate((x) => (x.transitions[4]!.condition = 'invalid'));
    expect(checkFlow(f).valid).toBe(true);
    const strict = checkFlow(f, { strict: true });
    expect(strict.valid).toBe(false);
    expect(strict.problems.map((p) => p.severity)).toEqual(['error']);
  });

  it('play without media, collect without text, route without target, a collect node without collect action', () => {
    const f = mutate((x) => {
      delete x.nodes[0]!.actions[0]!.media_url;
      delete x.nodes[2]!.actions[0]!.text;
      delete x.nodes[3]!.actions[0]!.text;
      x.nodes.push({ id: 'quiet', type: 'collect', actions: [] });
    });
    const lines = checkFlow(f).problems.filter((p) => p.code === 'ACTION_MISMATCH').map(formatProblem);
    expect(lines).toEqual([
      'nodes[0].actions[0].media_url: ACTION_MISMATCH node start: a play action needs a media_url',
      'nodes[2].actions[0].text: ACTION_MISMATCH node collect_input: a collect action needs the prompt text',
      'nodes[3].actions[0].text: ACTION_MISMATCH node route_agent: a route action needs its target queue in text',
      'nodes[6].actions: ACTION_MISMATCH collect node quiet has no collect action, so it never reads input',
    ]);
  });
});

describe('FL-U2..FL-U6', () => {
  it('FL-U2 (F-61) the seed example: valid, 3 terminal paths, depth 3', () => {
    const r = checkFlow(seedFlow());
    expect(r.problems).toEqual([]);
    expect(r).toMatchObject({ valid: true, depth: 3, paths: 3n });
  });

  it('FL-U3 (F-67) two branches meeting at one disconnect is no cycle', () => {
    const f = mutate((x) => {
      x.nodes.push(node('thanks', 'play'));
      x.transitions[3]!.to_node = 'thanks';
      x.transitions.push({ from_node: 'thanks', to_node: 'disconnect', condition: 'always' });
      x.transitions.push({ from_node: 'collect_input', to_node: 'schedule_callback', condition: 'input=3' });
    });
    const r = checkFlow(f);
    expect(r.problems).toEqual([]);
    expect(r.paths).toBe(4n);
  });

  it('FL-U4 (F-28) 45 transitions pass; 46 fail at the 47th node with the path', () => {
    expect(checkFlow(chain(45)).problems).toEqual([]);
    const r = checkFlow(chain(46));
    expect(codes(r.problems)).toEqual(['DEPTH_EXCEEDED']);
    const p = r.problems[0] as FlowProblem;
    expect(p.message).toMatch(/^flow exceeds maximum depth limit at node n46 \(longest path 46 transitions > 45: n0 -> n1/);
    expect(p.path).toBe('nodes[46]');
    expect(p.nodes).toHaveLength(47);
    expect(r.depth).toBe(46);
  });

  it('a 100k-node chain neither overflows the stack nor slows to a crawl (iterative, linear)', () => {
    const r = checkFlow(chain(99_999), { maxDepth: 100_000, maxNodesWarn: 100_000 });
    expect(r.problems).toEqual([]);
    expect(r).toMatchObject({ depth: 99_999, paths: 1n });
    // Close it into one loop of 99,999 nodes: found without recursion, listed whole.
    const loop = chain(99_999);
    loop.nodes[99_999]!.type = 'play';
    loop.transitions.push({ from_node: 'n99999', to_node: 'n1', condition: 'always' });
    const cyc = checkFlow(loop, { maxDepth: 100_000, maxNodesWarn: 100_000 });
    expect(cyc.problems.map((p) => p.code)).toEqual(['CYCLE']);
    expect(cyc.problems[0]?.nodes).toHaveLength(100_000);
    expect(cyc.paths).toBeNull();
  });

  it('FL-U5 (F-24) max_retries 3 passes, 4 fails with the seed wording', () => {
    expect(checkFlow(mutate((f) => (f.nodes[2]!.actions[0]!.max_retries = 3))).problems).toEqual([]);
    const r = checkFlow(mutate((f) => (f.nodes[2]!.actions[0]!.max_retries = 4)));
    expect(r.problems.map((p) => p.message)).toEqual(['node collect_input exceeds max retries (4 > 3)']);
  });

  it('FL-U6 (B5) a disclosure after route_agent on one path: DISCLOSURE_NOT_FIRST with that path', () => {
    const f = graphFlow(['play', 'collect', 'agent', 'disclosure', 'callback', 'disconnect'], [
      [0, 1],
      [1, 2, 'input=1'],
      [1, 3, 'input=2'],
      [3, 4],
      [1, 5, 'timeout|invalid'],
    ]);
    const r = checkFlow(f);
    // Every rule of the document passes: only the dominance check sees it.
    expect(codes(r.problems)).toEqual(['DISCLOSURE_NOT_FIRST', 'DISCLOSURE_NOT_FIRST']);
    expect(r.problems.map((p) => [p.path, p.nodes])).toEqual([
      ['nodes[1]', ['v0', 'v1']],
      ['nodes[2]', ['v0', 'v1', 'v2']],
    ]);
    expect(r.problems[1]?.message).toBe('agent node v2 can be reached before any disclosure node: v0 -> v1 -> v2');
  });

  it('dominance holds through a loop: the disclosure on the loop still precedes the agent', () => {
    const f = graphFlow(['disclosure', 'collect', 'agent', 'disconnect'], [
      [0, 1],
      [1, 2, 'input=1'],
      [1, 0, 'input=0'],
      [1, 3, 'timeout|invalid'],
    ]);
    const r = checkFlow(f);
    expect(codes(r.problems)).toEqual(['CYCLE']);
    expect(r.paths).toBeNull();
  });
});
