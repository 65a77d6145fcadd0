// Walking a flow as a caller would: from the entry, each collect node takes the next input
// (a key, `timeout` or `invalid`, the collect's outcome after its own retries), other nodes
// follow `always`, and the walk ends at a terminal. Every way a walk can go wrong is an
// error naming the node and the step, never a silent stop.
import { parseOutcome, pickBranch } from './conditions.ts';
import { indexFlow, nodeOf } from './flow-graph.ts';
import { countPathsFrom, longestPaths, search } from './graph.ts';
import type { FlowIndex } from './flow-graph.ts';
import type { Flow } from './flow-schema.ts';
import { DEFAULT_CHECK_OPTIONS } from './problems.ts';

export type WalkErrorCode = 'ENTRY_MISSING' | 'INPUT_MISSING' | 'BAD_INPUT' | 'NO_MATCH' | 'DEAD_END' | 'UNUSED_INPUT' | 'STEP_LIMIT';

export interface WalkStep {
  node: string;
  /** The input this node consumed (collect nodes). */
  input?: string;
  /** Index into flow.transitions of the transition taken from this node; absent at the end. */
  transition?: number;
}

export type WalkResult =
  | { ok: true; steps: WalkStep[]; terminal: { id: string; type: string } }
  | { ok: false; steps: WalkStep[]; error: { code: WalkErrorCode; message: string; node: string | null } };

export interface WalkOptions {
  terminals?: readonly string[];
  /** Default: nodes + inputs + 1, which a walk without loops never reaches. */
  maxSteps?: number;
}

export function walkFlow(flow: Flow | FlowIndex, inputs: readonly string[], opts: WalkOptions = {}): WalkResult {
  const ix = 'byId' in flow ? flow : indexFlow(flow);
  const terminals = new Set(opts.terminals ?? DEFAULT_CHECK_OPTIONS.terminals);
  const steps: WalkStep[] = [];
  const fail = (code: WalkErrorCode, message: string, node: string | null): WalkResult => ({ ok: false, steps, error: { code, message, node } });
  if (ix.entry < 0) return fail('ENTRY_MISSING', `entry node ${ix.flow.entry_node} does not exist`, null);
  const maxSteps = opts.maxSteps ?? ix.adj.length + inputs.length + 1;
  let used = 0;
  for (let v = ix.entry; ; ) {
    const node = nodeOf(ix, v);
    const step: WalkStep = { node: node.id };
    steps.push(step);
    if (terminals.has(node.type)) {
      if (used < inputs.length) {
        const left = inputs.slice(used);
        return fail('UNUSED_INPUT', `the call ended at ${node.type} node ${node.id} with ${left.length} input(s) unused: ${left.join(', ')}`, node.id);
      }
      return { ok: true, steps, terminal: { id: node.id, type: node.type } };
    }
    if (steps.length > maxSteps) return fail('STEP_LIMIT', `no terminal after ${maxSteps} steps: the walk loops (last at node ${node.id})`, node.id);
    let outcome;
    if (node.type === 'collect') {
      const raw = inputs[used];
      if (raw === undefined) return fail('INPUT_MISSING', `collect node ${node.id} waits for input #${used + 1}, but only ${inputs.length} given`, node.id);
      outcome = parseOutcome(raw);
      if (!outcome) return fail('BAD_INPUT', `input #${used + 1} "${raw}" is not a key (0-9, *, #), timeout or invalid`, node.id);
      step.input = raw;
      used++;
    }
    const via = ix.via[v] as number[];
    const pick = pickBranch(via.map((t) => ix.atoms[t] ?? []), outcome);
    if (pick < 0) {
      if (ix.declaredOut[v] === 0) return fail('DEAD_END', `dead end detected at non-terminal node ${node.id}`, node.id);
      const what = outcome ? `input ${step.input}` : 'a node that reads no input (no always branch)';
      const branches = via.map((t) => ix.flow.transitions[t]?.condition).join(', ');
      return fail('NO_MATCH', `no transition from ${node.id} fires for ${what}; its branches: ${branches || 'none to existing nodes'}`, node.id);
    }
    step.transition = via[pick];
    v = (ix.adj[v] as number[])[pick] as number;
  }
}

/** "node (input) -> node -> terminal": one line for a person. */
export function formatWalk(steps: readonly WalkStep[]): string {
  return steps.map((s) => (s.input === undefined ? s.node : `${s.node} [${s.input}]`)).join(' -> ');
}

/**
 * Entry-to-terminal paths, counted by dynamic programming on the DAG (never listed): null
 * when the entry is missing or a loop is reachable (the count is unbounded).
 */
export function countFlowPaths(flow: Flow | FlowIndex, terminals: readonly string[] = DEFAULT_CHECK_OPTIONS.terminals): bigint | null {
  const ix = 'byId' in flow ? flow : indexFlow(flow);
  if (ix.entry < 0) return null;
  const { seen } = search(ix.adj, ix.entry);
  const { order } = longestPaths(ix.adj, ix.entry, seen);
  if (order.length !== seen.reduce((n, x) => n + x, 0)) return null;
  const ends = new Set(terminals);
  return countPathsFrom(ix.adj, order, (v) => ends.has(nodeOf(ix, v).type))[ix.entry] as bigint;
}
