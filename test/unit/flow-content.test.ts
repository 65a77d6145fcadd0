// The pure pieces of publishing: the content hash (what "unchanged" compares), the diff of
// two flows, and reading a 422's problems.
import { describe, expect, it } from 'vitest';
import { serverProblems } from '../../src/cxone/flows.ts';
import { flowContent } from '../../src/domain/flows/canonical.ts';
import { diffFlows, formatChange } from '../../src/domain/flows/diff.ts';
import { loadFlow } from '../../src/domain/flows/load-flow.ts';
import { seedFlow } from '../fixtures/flows/build.ts';

const YAML = `
transitions:
  - { condition: always, to_node: b, from_node: a }
entry_node: a
name: tiny
nodes:
  - id: a
    type: disclosure
    actions: [{ media_url: "https://cdn.example.com/d.wav", directive: play }]
  - { id: b, type: disconnect, actions: [{ directive: disconnect }] }
`;
const JSON_TEXT = JSON.stringify({
  name: 'tiny',
  description: '',
  entry_node: 'a',
  nodes: [
    { id: 'a', type: 'disclosure', actions: [{ directive: 'play', media_url: 'https://cdn.example.com/d.wav' }] },
    { id: 'b', type: 'disconnect', actions: [{ directive: 'disconnect' }] },
  ],
  transitions: [{ from_node: 'a', to_node: 'b', condition: 'always' }],
});

describe('flow content hash', () => {
  it('is the same for YAML and JSON of one flow, whatever the key order, and an omitted default', () => {
    const y = loadFlow(YAML, 'yaml').flow!;
    const j = loadFlow(JSON_TEXT, 'json').flow!;
    expect(flowContent(y).flowKey).toBe(flowContent(j).flowKey);
    expect(flowContent(y).flowKey).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes with any content: a description, an action field, the order of transitions', () => {
    const base = flowContent(seedFlow()).flowKey;
    expect(flowContent({ ...seedFlow(), description: 'x' }).flowKey).not.toBe(base);
    const f = seedFlow();
    f.nodes[2]!.actions[0]!.max_retries = 3;
    expect(flowContent(f).flowKey).not.toBe(base);
    const g = seedFlow();
    g.transitions.reverse();
    expect(flowContent(g).flowKey).not.toBe(base);
  });
});

describe('diffFlows', () => {
  it('lists header, node and transition changes, one line each', () => {
    const a = seedFlow();
    const b = seedFlow();
    b.description = 'v2';
    b.nodes = b.nodes.filter((n) => n.id !== 'schedule_callback');
    b.nodes.push({ id: 'voicemail', type: 'voicemail', actions: [{ directive: 'schedule', text: 'vm' }] });
    b.nodes[2]!.actions[0]!.text = 'Press 1';
    b.transitions = b.transitions.map((t) => (t.to_node === 'schedule_callback' ? { ...t, to_node: 'voicemail' } : t));
    expect(diffFlows(a, b).map(formatChange)).toEqual([
      '~ description: "Automated outbound flow with regulatory disclosures" -> "v2"',
      '- node schedule_callback (callback)',
      '~ node collect_input: actions changed',
      '+ node voicemail (voicemail)',
      '- transition collect_input -> schedule_callback (input=2)',
      '+ transition collect_input -> voicemail (input=2)',
    ]);
    expect(diffFlows(a, seedFlow())).toEqual([]);
  });
});

describe('serverProblems', () => {
  it('reads {errors: [{path, message}]}, plain strings, {field} and a bare message', () => {
    expect(serverProblems({ errors: [{ path: 'nodes[2].type', message: 'unknown' }, 'flat'] })).toEqual([
      { path: 'nodes[2].type', message: 'unknown' },
      { path: '', message: 'flat' },
    ]);
    expect(serverProblems({ problems: [{ field: 'name', message: 'taken' }] })).toEqual([{ path: 'name', message: 'taken' }]);
    expect(serverProblems({ message: 'bad flow' })).toEqual([{ path: '', message: 'bad flow' }]);
    expect(serverProblems(undefined)).toEqual([]);
  });
});
