// Rules on transitions: both ends exist (CF 112-118), conditions parse, and per node the
// branches make sense: no condition twice, `always` alone, a collect node handling no
// input and no match, a node that reads no input branching on input, a terminal with
// branches that never fire.
import { atomLabel, parseCondition } from './conditions.ts';
import type { FlowIndex } from './flow-graph.ts';
import type { CheckOptions, Report } from './problems.ts';

export function checkTransitions(ix: FlowIndex, opts: CheckOptions, report: Report): void {
  const byFrom = new Map<number, number[]>();
  ix.flow.transitions.forEach((t, i) => {
    const from = ix.byId.get(t.from_node);
    if (from === undefined) report('TRANSITION_FROM_MISSING', `transitions[${i}].from_node`, `transition references missing from_node: ${t.from_node}`);
    else {
      const list = byFrom.get(from);
      if (list) list.push(i);
      else byFrom.set(from, [i]);
    }
    if (!ix.byId.has(t.to_node)) report('TRANSITION_TO_MISSING', `transitions[${i}].to_node`, `transition references missing to_node: ${t.to_node}`);
    if (ix.atoms[i] === null) {
      const parsed = parseCondition(t.condition);
      report('INVALID_CONDITION', `transitions[${i}].condition`, parsed.ok ? 'invalid condition' : parsed.message);
    }
  });
  const terminals = new Set(opts.terminals);
  for (const [v, list] of byFrom) checkBranches(ix, v, list, terminals, report);
}

function checkBranches(ix: FlowIndex, v: number, list: readonly number[], terminals: ReadonlySet<string>, report: Report): void {
  const node = ix.flow.nodes[ix.nodeAt[v] as number];
  if (!node) return;
  if (terminals.has(node.type)) {
    report('TERMINAL_HAS_TRANSITIONS', `transitions[${list[0]}]`, `node ${node.id} is a ${node.type} terminal: the call ends there and its ${list.length} transition(s) never fire`);
    return;
  }
  const collect = node.type === 'collect';
  const seen = new Map<string, number>();
  for (const i of list) {
    const atoms = ix.atoms[i];
    if (!atoms) continue;
    for (const a of atoms) {
      const label = atomLabel(a);
      const first = seen.get(label);
      if (first !== undefined && first !== i) {
        report('AMBIGUOUS_CONDITION', `transitions[${i}].condition`, `node ${node.id} already branches on "${label}" at transitions[${first}]; only the first fires`);
      } else seen.set(label, i);
      if (!collect && a.kind !== 'always') {
        report('INPUT_ON_NON_COLLECT', `transitions[${i}].condition`, `node ${node.id} (${node.type}) reads no input, so "${label}" never fires; use always`);
      }
    }
  }
  const always = seen.get('always');
  if (!collect && always === undefined && seen.size > 0) {
    report('DEAD_END', `nodes[${ix.nodeAt[v]}]`, `dead end detected at non-terminal node ${node.id}: it reads no input and none of its transitions is "always"`);
  }
  if (always !== undefined && seen.size > 1) {
    report('AMBIGUOUS_CONDITION', `transitions[${always}].condition`, `node ${node.id} has "always" beside ${list.length - 1} other transition(s)`);
  }
  if (!collect || always !== undefined) return;
  const missing = ['timeout', 'invalid'].filter((k) => !seen.has(k));
  if (![...seen.keys()].some((k) => k.startsWith('input='))) missing.unshift('input=<key>');
  if (missing.length > 0) {
    report('UNHANDLED_INPUT', `nodes[${ix.nodeAt[v]}]`, `collect node ${node.id} has no branch for ${missing.join(', ')}: a caller who does that is stuck`);
  }
}
