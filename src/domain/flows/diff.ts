// What changed between two flows, as a reviewer reads it: the header fields, nodes by id
// (added, removed, type or actions changed) and transitions by (from, to, condition).
import type { Flow, FlowNode } from './flow-schema.ts';

export type FlowChange =
  | { kind: 'field'; field: 'name' | 'description' | 'entry_node'; from: string; to: string }
  | { kind: 'node-added' | 'node-removed'; id: string; type: string }
  | { kind: 'node-changed'; id: string; what: string }
  | { kind: 'transition-added' | 'transition-removed'; from: string; to: string; condition: string };

const actionsText = (n: FlowNode) => JSON.stringify(n.actions);
const transitionKey = (t: { from_node: string; to_node: string; condition: string }) => `${t.from_node}\u0000${t.to_node}\u0000${t.condition}`;

export function diffFlows(a: Flow, b: Flow): FlowChange[] {
  const changes: FlowChange[] = [];
  for (const field of ['name', 'description', 'entry_node'] as const) {
    if (a[field] !== b[field]) changes.push({ kind: 'field', field, from: a[field], to: b[field] });
  }
  // The first node of an id is the one the checker and CXone use; duplicates are errors anyway.
  const before = new Map<string, FlowNode>();
  for (const n of a.nodes) if (!before.has(n.id)) before.set(n.id, n);
  const after = new Map<string, FlowNode>();
  for (const n of b.nodes) if (!after.has(n.id)) after.set(n.id, n);
  for (const [id, n] of before) if (!after.has(id)) changes.push({ kind: 'node-removed', id, type: n.type });
  for (const [id, n] of after) {
    const old = before.get(id);
    if (!old) changes.push({ kind: 'node-added', id, type: n.type });
    else if (old.type !== n.type) changes.push({ kind: 'node-changed', id, what: `type ${old.type} -> ${n.type}` });
    else if (actionsText(old) !== actionsText(n)) changes.push({ kind: 'node-changed', id, what: 'actions changed' });
  }
  const tb = new Set(a.transitions.map(transitionKey));
  const ta = new Set(b.transitions.map(transitionKey));
  for (const t of a.transitions) if (!ta.has(transitionKey(t))) changes.push({ kind: 'transition-removed', from: t.from_node, to: t.to_node, condition: t.condition });
  for (const t of b.transitions) if (!tb.has(transitionKey(t))) changes.push({ kind: 'transition-added', from: t.from_node, to: t.to_node, condition: t.condition });
  return changes;
}

/** One line per change: `+`, `-` or `~`, then what. */
export function formatChange(c: FlowChange): string {
  switch (c.kind) {
    case 'field':
      return `~ ${c.field}: ${JSON.stringify(c.from)} -> ${JSON.stringify(c.to)}`;
    case 'node-added':
      return `+ node ${c.id} (${c.type})`;
    case 'node-removed':
      return `- node ${c.id} (${c.type})`;
    case 'node-changed':
      return `~ node ${c.id}: ${c.what}`;
    case 'transition-added':
      return `+ transition ${c.from} -> ${c.to} (${c.condition})`;
    case 'transition-removed':
      return `- transition ${c.from} -> ${c.to} (${c.condition})`;
  }
}
