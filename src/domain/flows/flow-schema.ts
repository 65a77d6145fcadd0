// The call-flow file as a person writes it (YAML or JSON), in the document's wire shape
// (snake_case, CF 78-100). The schema checks shape only: node types, directives and
// conditions are plain strings here so that an unknown one is reported by the checker
// with its own code, together with every other problem, instead of hiding them behind
// one schema failure.
import { z } from 'zod';

/** A node id, as referenced by transitions and entry_node. */
const id = z.string().trim().min(1, 'must not be empty').max(128, 'at most 128 characters');
const word = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `at most ${max} characters`);

export const actionSchema = z.strictObject({
  directive: word(64),
  media_url: z.string().trim().min(1, 'must not be empty').max(2048, 'at most 2048 characters').optional(),
  text: z.string().trim().min(1, 'must not be empty').max(4096, 'at most 4096 characters').optional(),
  max_retries: z.int('must be an integer').min(0, 'must be >= 0').max(1000, 'must be <= 1000').optional(),
});

export const nodeSchema = z.strictObject({
  id,
  type: word(64),
  actions: z.array(actionSchema).max(50, 'at most 50 actions per node').default([]),
});

export const transitionSchema = z.strictObject({
  from_node: id,
  to_node: id,
  condition: word(256),
});

// Bounds: the bench validates 10k nodes with 40k transitions; ten times that still parses
// in well under a second, anything bigger is not an IVR flow.
export const flowSchema = z.strictObject({
  name: word(200),
  description: z.string().max(4000, 'at most 4000 characters').default(''),
  entry_node: id,
  nodes: z.array(nodeSchema).min(1, 'a flow needs at least one node').max(100_000, 'at most 100000 nodes'),
  transitions: z.array(transitionSchema).max(1_000_000, 'at most 1000000 transitions').default([]),
});

export type FlowAction = z.output<typeof actionSchema>;
export type FlowNode = z.output<typeof nodeSchema>;
export type FlowTransition = z.output<typeof transitionSchema>;
export type Flow = z.output<typeof flowSchema>;

/** ["nodes", 2, "actions", 0] -> "nodes[2].actions[0]": the JSON path a person can search for. */
export function jsonPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}
