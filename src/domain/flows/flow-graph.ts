// A flow turned into numbered nodes and adjacency lists, once, for every check and the
// simulator. A duplicate id keeps its first node (the duplicate is reported, not merged);
// a transition with a missing end is left out of the graph (and reported).
import { parseCondition } from './conditions.ts';
import type { Atom } from './conditions.ts';
import type { Flow } from './flow-schema.ts';

export interface FlowIndex {
  flow: Flow;
  /** Graph node -> its index in flow.nodes. */
  nodeAt: number[];
  /** Node id -> graph node. */
  byId: Map<string, number>;
  /** Successors of each graph node, one entry per transition (parallel transitions repeat). */
  adj: number[][];
  /** The transition index behind each adj entry, in the same order. */
  via: number[][];
  /** Transitions declared from each node, whether or not their target exists. */
  declaredOut: Int32Array;
  /** Parsed condition per transition; null when it does not parse. */
  atoms: (Atom[] | null)[];
  /** Graph node of entry_node; -1 when no node has that id. */
  entry: number;
}

export function indexFlow(flow: Flow): FlowIndex {
  const nodeAt: number[] = [];
  const byId = new Map<string, number>();
  flow.nodes.forEach((node, i) => {
    if (byId.has(node.id)) return;
    byId.set(node.id, nodeAt.length);
    nodeAt.push(i);
  });
  const adj: number[][] = nodeAt.map(() => []);
  const via: number[][] = nodeAt.map(() => []);
  const declaredOut = new Int32Array(nodeAt.length);
  // Flows repeat a handful of conditions thousands of times: parse each text once.
  const parsedByText = new Map<string, Atom[] | null>();
  const atoms = flow.transitions.map((t, i) => {
    const from = byId.get(t.from_node);
    const to = byId.get(t.to_node);
    if (from !== undefined) declaredOut[from] = (declaredOut[from] as number) + 1;
    if (from !== undefined && to !== undefined) {
      (adj[from] as number[]).push(to);
      (via[from] as number[]).push(i);
    }
    let parsed = parsedByText.get(t.condition);
    if (parsed === undefined) {
      const p = parseCondition(t.condition);
      parsed = p.ok ? p.atoms : null;
      parsedByText.set(t.condition, parsed);
    }
    return parsed;
  });
  return { flow, nodeAt, byId, adj, via, declaredOut, atoms, entry: byId.get(flow.entry_node) ?? -1 };
}

export const nodeOf = (ix: FlowIndex, v: number) => ix.flow.nodes[ix.nodeAt[v] as number] as Flow['nodes'][number];
export const idsOf = (ix: FlowIndex, vs: readonly number[]) => vs.map((v) => nodeOf(ix, v).id);
