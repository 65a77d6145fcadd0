// Rules on the shape of the flow from its entry (CF 138-173), each linear in nodes plus
// transitions: reachability, loops (with the loop listed), depth (with the longest path),
// dead ends, and that a disclosure dominates every node that routes the caller (B5).
import { countPathsFrom, cyclicComponents, longestPaths, loopIn, pathTo, search } from './graph.ts';
import { idsOf, nodeOf } from './flow-graph.ts';
import type { FlowIndex } from './flow-graph.ts';
import { NEEDS_DISCLOSURE, showPath } from './problems.ts';
import type { CheckOptions, Report } from './problems.ts';

export interface GraphFacts {
  /** Transitions on the longest path from the entry; null without an entry. */
  depth: number | null;
  /** Entry-to-terminal paths; null without an entry or when a loop is reachable (unbounded). */
  paths: bigint | null;
}

export function checkGraph(ix: FlowIndex, opts: CheckOptions, report: Report): GraphFacts {
  const terminals = new Set(opts.terminals);
  const isTerminal = (v: number) => terminals.has(nodeOf(ix, v).type);
  checkDeadEnds(ix, isTerminal, report);
  checkCycles(ix, report);
  if (ix.entry < 0) {
    report('ENTRY_MISSING', 'entry_node', `entry node ${ix.flow.entry_node} does not exist`);
    return { depth: null, paths: null };
  }
  const { seen } = search(ix.adj, ix.entry);
  let reached = 0;
  for (let v = 0; v < ix.adj.length; v++) {
    if (seen[v]) reached++;
    else report('UNREACHABLE', `nodes[${ix.nodeAt[v]}]`, `node ${nodeOf(ix, v).id} is unreachable from entry node ${ix.flow.entry_node}`);
  }
  const longest = longestPaths(ix.adj, ix.entry, seen);
  const depth = Math.max(0, longest.depth[longest.deepest] as number);
  if (depth > opts.maxDepth) {
    const path = idsOf(ix, pathTo(longest.parent, longest.deepest));
    const at = path[opts.maxDepth + 1] as string;
    report('DEPTH_EXCEEDED', `nodes[${ix.nodeAt[ix.byId.get(at) as number]}]`, `flow exceeds maximum depth limit at node ${at} (longest path ${depth} transitions > ${opts.maxDepth}: ${showPath(path)})`, { nodes: path });
  }
  checkDisclosureFirst(ix, opts, report);
  const paths = longest.order.length === reached ? (countPathsFrom(ix.adj, longest.order, isTerminal)[ix.entry] as bigint) : null;
  return { depth, paths };
}

function checkDeadEnds(ix: FlowIndex, isTerminal: (v: number) => boolean, report: Report): void {
  for (let v = 0; v < ix.adj.length; v++) {
    if (ix.declaredOut[v] === 0 && !isTerminal(v)) report('DEAD_END', `nodes[${ix.nodeAt[v]}]`, `dead end detected at non-terminal node ${nodeOf(ix, v).id}`);
  }
}

function checkCycles(ix: FlowIndex, report: Report): void {
  for (const component of cyclicComponents(ix.adj)) {
    const loop = loopIn(ix.adj, component);
    const last = loop[loop.length - 2] as number;
    const closing = (ix.via[last] as number[])[(ix.adj[last] as number[]).indexOf(loop[0] as number)] as number;
    const ids = idsOf(ix, loop);
    const more = component.length > loop.length - 1 ? ` (${component.length} nodes loop into each other: ${showPath(idsOf(ix, component))})` : '';
    report('CYCLE', `transitions[${closing}]`, `circular transition detected at node ${ids[0]}: ${showPath(ids)}${more}`, { nodes: ids });
  }
}

function checkDisclosureFirst(ix: FlowIndex, opts: CheckOptions, report: Report): void {
  if (!ix.flow.nodes.some((n) => n.type === opts.disclosureType)) return; // DISCLOSURE_MISSING says it
  const isDisclosure = (v: number) => nodeOf(ix, v).type === opts.disclosureType;
  // Reached without expanding disclosures = some path gets here before any disclosure.
  const before = search(ix.adj, ix.entry, isDisclosure);
  for (let v = 0; v < ix.adj.length; v++) {
    const node = nodeOf(ix, v);
    if (!before.seen[v] || !NEEDS_DISCLOSURE.includes(node.type)) continue;
    const path = idsOf(ix, pathTo(before.parent, v));
    report('DISCLOSURE_NOT_FIRST', `nodes[${ix.nodeAt[v]}]`, `${node.type} node ${node.id} can be reached before any ${opts.disclosureType} node: ${showPath(path)}`, { nodes: path });
  }
}
