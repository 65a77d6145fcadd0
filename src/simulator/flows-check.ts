// The platform's own "syntax verification" of a flow (CF 176), run inside the job: what it
// finds fails the job with errors[]. Deliberately independent of the fleet's checker.
import type { FlowBody } from './flows-schemas.ts';
import type { EXTRA_SYNTAX_RULES } from './flows-config.ts';

const DIRECTIVES = new Set(['play', 'collect', 'route', 'schedule', 'disconnect']);

export function syntaxErrors(flow: FlowBody): string[] {
  const errors: string[] = [];
  flow.nodes.forEach((n, i) =>
    (n.actions ?? []).forEach((a, j) => {
      const at = `nodes[${i}].actions[${j}]`;
      if (!DIRECTIVES.has(a.directive)) errors.push(`unknown directive '${a.directive}' at ${at}`);
      else if (a.directive === 'play' && !a.media_url) errors.push(`play without media_url at ${at}`);
      else if (a.directive === 'collect' && !a.text) errors.push(`collect without text at ${at}`);
      else if ((a.directive === 'route' || a.directive === 'schedule') && !a.text) errors.push(`${a.directive} without a target at ${at}`);
    }),
  );
  return errors;
}

export function extraRuleProblems(flow: FlowBody, rules: readonly (typeof EXTRA_SYNTAX_RULES)[number][]): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  if (rules.includes('description-required') && !flow.description?.trim()) out.push({ path: 'description', message: 'a description is required' });
  flow.nodes.forEach((n, i) => {
    if (rules.includes('ids-snake-case') && !/^[a-z][a-z0-9_]*$/.test(n.id)) out.push({ path: `nodes[${i}].id`, message: `node id '${n.id}' must be snake_case` });
    if (rules.includes('no-voicemail') && n.type === 'voicemail') out.push({ path: `nodes[${i}].type`, message: 'voicemail nodes are not licensed on this tenant' });
  });
  return out;
}

/**
 * Longest path from the entry in transitions (memoised DFS with an explicit stack);
 * Infinity when a loop is reachable, which an execution-depth limit also refuses.
 */
export function executionDepth(flow: FlowBody): number {
  const succ = new Map<string, string[]>();
  for (const t of flow.transitions) {
    const list = succ.get(t.from_node);
    if (list) list.push(t.to_node);
    else succ.set(t.from_node, [t.to_node]);
  }
  const depth = new Map<string, number>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: [string, number][] = [[flow.entry_node, 0]];
  state.set(flow.entry_node, 'open');
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as [string, number];
    const next = succ.get(top[0]) ?? [];
    if (top[1] < next.length) {
      const w = next[top[1]++] as string;
      if (state.get(w) === 'open') return Infinity;
      if (!state.has(w)) {
        state.set(w, 'open');
        stack.push([w, 0]);
      }
      continue;
    }
    stack.pop();
    state.set(top[0], 'done');
    depth.set(top[0], next.reduce((d, w) => Math.max(d, 1 + (depth.get(w) ?? 0)), 0));
  }
  return depth.get(flow.entry_node) ?? 0;
}
