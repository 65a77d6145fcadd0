// The content of a flow as one string and one hash: what "unchanged since the last
// publish" compares, what the idempotency key of a CXone job is built from and what the
// spec store is keyed by. Keys are written in one fixed order (and optional fields only
// when present), so two files that parse to the same flow hash the same whatever their
// format, key order or whitespace. Node and transition order is content: it is what CXone
// is sent.
import { createHash } from 'node:crypto';
import type { Flow } from './flow-schema.ts';

function canonicalFlow(flow: Flow): Flow {
  return {
    name: flow.name,
    description: flow.description,
    entry_node: flow.entry_node,
    nodes: flow.nodes.map((n) => ({
      id: n.id,
      type: n.type,
      actions: n.actions.map((a) => ({
        directive: a.directive,
        ...(a.media_url === undefined ? {} : { media_url: a.media_url }),
        ...(a.text === undefined ? {} : { text: a.text }),
        ...(a.max_retries === undefined ? {} : { max_retries: a.max_retries }),
      })),
    })),
    transitions: flow.transitions.map((t) => ({ from_node: t.from_node, to_node: t.to_node, condition: t.condition })),
  };
}

/** The flow as canonical JSON text and its sha256 (hex): the flow's content key. */
export function flowContent(flow: Flow): { json: string; flowKey: string } {
  const json = JSON.stringify(canonicalFlow(flow));
  return { json, flowKey: createHash('sha256').update(json).digest('hex') };
}
