// Test cases for a flow, as a CI pipeline keeps them beside it: each case gives the
// caller's inputs and the terminal it must end at (a node id or a node type). Running
// them reports pass/fail per case and which transitions they exercised (coverage), so a
// pipeline can gate on both.
import { z } from 'zod';
import { schemaProblems } from './check-flow.ts';
import { indexFlow } from './flow-graph.ts';
import type { Flow } from './flow-schema.ts';
import { parseText } from './load-flow.ts';
import type { FlowFormat } from './load-flow.ts';
import type { FlowProblem } from './problems.ts';
import { walkFlow } from './simulate.ts';
import type { WalkOptions, WalkResult } from './simulate.ts';

const input = z.union([z.string().trim().min(1, 'must not be empty'), z.int('must be a key or a word').min(0).transform(String)]);

export const caseSchema = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(200),
  inputs: z.array(input).max(1000).default([]),
  expect: z.string().trim().min(1, 'must not be empty').max(128),
});
export type FlowCase = z.output<typeof caseSchema>;

const casesSchema = z.array(caseSchema).min(1, 'at least one case').max(10_000);

export type LoadCasesResult = { ok: true; cases: FlowCase[] } | { ok: false; problems: FlowProblem[] };

/** A YAML/JSON list of cases, or `{cases: [...]}`. */
export function loadCases(text: string, format: FlowFormat): LoadCasesResult {
  const parsed = parseText(text, format);
  if (!parsed.ok) return parsed;
  const wrapped = typeof parsed.data === 'object' && parsed.data !== null && !Array.isArray(parsed.data) && 'cases' in parsed.data;
  const list: unknown = wrapped ? (parsed.data as { cases: unknown }).cases : parsed.data;
  // Paths start at the list ("[2].inputs[0]"); inside {cases: [...]} they get its name.
  const at = (path: string) => (wrapped ? `cases${path}` : path);
  const checked = casesSchema.safeParse(list);
  if (!checked.success) return { ok: false, problems: schemaProblems(checked.error.issues).map((p) => ({ ...p, path: at(p.path) })) };
  const first = new Map<string, number>();
  const problems: FlowProblem[] = [];
  checked.data.forEach((c, i) => {
    const seen = first.get(c.name);
    if (seen === undefined) first.set(c.name, i);
    else problems.push({ code: 'SCHEMA', message: `duplicate case name "${c.name}" (first at ${at(`[${seen}]`)})`, path: at(`[${i}].name`), severity: 'error' });
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, cases: checked.data };
}

export interface CaseResult {
  name: string;
  passed: boolean;
  walk: WalkResult;
  /** Why it failed, one line. */
  reason?: string;
}

export interface Coverage {
  covered: number;
  total: number;
  /** covered / total * 100, rounded down to one decimal (a gate must not round up). */
  percent: number;
  /** Indices into flow.transitions no case took. */
  uncovered: number[];
}

export interface CasesReport {
  results: CaseResult[];
  passed: number;
  failed: number;
  coverage: Coverage;
}

export function runCases(flow: Flow, cases: readonly FlowCase[], opts: WalkOptions = {}): CasesReport {
  const ix = indexFlow(flow);
  const taken = new Uint8Array(flow.transitions.length);
  const results = cases.map((c): CaseResult => {
    const walk = walkFlow(ix, c.inputs, opts);
    for (const s of walk.steps) if (s.transition !== undefined) taken[s.transition] = 1;
    if (!walk.ok) return { name: c.name, passed: false, walk, reason: walk.error.message };
    const hit = walk.terminal.id === c.expect || walk.terminal.type === c.expect;
    return hit ? { name: c.name, passed: true, walk } : { name: c.name, passed: false, walk, reason: `ended at ${walk.terminal.id} (${walk.terminal.type}), expected ${c.expect}` };
  });
  const uncovered: number[] = [];
  taken.forEach((t, i) => {
    if (!t) uncovered.push(i);
  });
  const total = taken.length;
  const covered = total - uncovered.length;
  const percent = total === 0 ? 100 : Math.floor((covered / total) * 1000) / 10;
  const passed = results.filter((r) => r.passed).length;
  return { results, passed, failed: results.length - passed, coverage: { covered, total, percent, uncovered } };
}
