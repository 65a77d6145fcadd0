// The whole of `flow validate`: schema, then every rule, all problems at once (F-68).
// Pure and synchronous; the CLI, the control API and the publish step all call this.
import { indexFlow } from './flow-graph.ts';
import { flowSchema, jsonPath } from './flow-schema.ts';
import type { Flow } from './flow-schema.ts';
import { collector, DEFAULT_CHECK_OPTIONS } from './problems.ts';
import type { CheckOptions, FlowProblem } from './problems.ts';
import { checkGraph } from './rules-graph.ts';
import { checkNodes } from './rules-nodes.ts';
import { checkTransitions } from './rules-transitions.ts';

export interface CheckResult {
  /** No problem of severity error (with `strict`, no problem at all). */
  valid: boolean;
  problems: FlowProblem[];
  errors: number;
  warnings: number;
  /** Longest entry path in transitions; null when the flow has no valid entry or did not parse. */
  depth: number | null;
  /** Entry-to-terminal paths; null when unknown or unbounded (a reachable loop). */
  paths: bigint | null;
}

function finish(problems: FlowProblem[], strict: boolean, facts: Pick<CheckResult, 'depth' | 'paths'>): CheckResult {
  const out = strict ? problems.map((p) => (p.severity === 'warning' ? { ...p, severity: 'error' as const } : p)) : problems;
  const errors = out.filter((p) => p.severity === 'error').length;
  return { valid: errors === 0, problems: out, errors, warnings: out.length - errors, ...facts };
}

export function resolveCheckOptions(options: Partial<CheckOptions> = {}): CheckOptions {
  return { ...DEFAULT_CHECK_OPTIONS, ...options };
}

/** Every rule on a flow that already matches the schema. */
export function checkFlow(flow: Flow, options: Partial<CheckOptions> = {}): CheckResult {
  const opts = resolveCheckOptions(options);
  const { problems, report } = collector();
  const ix = indexFlow(flow);
  checkNodes(ix, opts, report);
  checkTransitions(ix, opts, report);
  const facts = checkGraph(ix, opts, report);
  return finish(problems, opts.strict, facts);
}

type ZodIssueLike = { code?: string; path: PropertyKey[]; message: string; keys?: string[] };

/** zod issues as SCHEMA problems; an unknown key is named itself, not its parent object. */
export function schemaProblems(issues: readonly ZodIssueLike[]): FlowProblem[] {
  return issues.flatMap((issue) => {
    const paths = issue.code === 'unrecognized_keys' && issue.keys ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
    const message = issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message;
    return paths.map((p) => ({ code: 'SCHEMA' as const, message, path: jsonPath(p), severity: 'error' as const }));
  });
}

export type ValidateResult = CheckResult & { flow: Flow | null };

/** Schema then rules, for data of unknown shape (parsed YAML/JSON, an API body). Never throws. */
export function validateFlow(data: unknown, options: Partial<CheckOptions> = {}): ValidateResult {
  const parsed = flowSchema.safeParse(data, {
    error: (iss) => (iss.code === 'invalid_type' && iss.input === undefined ? 'required' : undefined),
  });
  if (!parsed.success) return { ...finish(schemaProblems(parsed.error.issues), false, { depth: null, paths: null }), flow: null };
  return { ...checkFlow(parsed.data, options), flow: parsed.data };
}
