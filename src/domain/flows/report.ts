// What `flow validate|simulate|test` print, as plain lines (the CLI only writes them).
// A problem is always `path: CODE message`, the form CI logs are grepped for.
import type { CasesReport } from './flow-cases.ts';
import type { Flow } from './flow-schema.ts';
import type { LoadResult } from './load-flow.ts';
import { formatProblem } from './problems.ts';
import type { FlowProblem } from './problems.ts';
import { formatWalk } from './simulate.ts';
import type { WalkResult } from './simulate.ts';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function problemLines(problems: readonly FlowProblem[]): string[] {
  const errors = problems.filter((p) => p.severity === 'error').map(formatProblem);
  const warnings = problems.filter((p) => p.severity === 'warning').map((p) => `${formatProblem(p)} (warning)`);
  return [...errors, ...warnings];
}

export function describeFlow(flow: Flow, r: Pick<LoadResult, 'depth' | 'paths'>): string {
  const paths = r.paths === null ? 'unbounded paths (a loop)' : `${r.paths} path${r.paths === 1n ? '' : 's'} to a terminal`;
  return `"${flow.name}": ${plural(flow.nodes.length, 'node')}, ${plural(flow.transitions.length, 'transition')}, depth ${r.depth ?? '?'}, ${paths}`;
}

/** The lines of `flow validate`; the last one is the verdict. */
export function validationLines(file: string, r: LoadResult): string[] {
  const counts = `${plural(r.errors, 'error')}, ${plural(r.warnings, 'warning')}`;
  const verdict = r.valid && r.flow ? `${file}: valid ${describeFlow(r.flow, r)}; ${plural(r.warnings, 'warning')}` : `${file}: invalid: ${counts}`;
  return [...problemLines(r.problems), verdict];
}

export function walkLines(walk: WalkResult): string[] {
  const path = walk.steps.length > 0 ? [`path: ${formatWalk(walk.steps)}`] : [];
  if (walk.ok) return [...path, `terminal: ${walk.terminal.id} (${walk.terminal.type})`];
  return [...path, `${walk.error.node ?? '(flow)'}: ${walk.error.code} ${walk.error.message}`];
}

export function casesLines(flow: Flow, report: CasesReport, minCoverage: number): string[] {
  const lines = report.results.map((r) => (r.passed ? `PASS ${r.name}: ${formatWalk(r.walk.steps)}` : `FAIL ${r.name}: ${r.reason ?? ''}\n     ${formatWalk(r.walk.steps)}`));
  const c = report.coverage;
  lines.push(`${report.passed}/${report.results.length} cases passed`);
  lines.push(`coverage: ${c.covered}/${c.total} transitions (${c.percent}%)${minCoverage > 0 ? `, minimum ${minCoverage}%` : ''}`);
  for (const i of c.uncovered) {
    const t = flow.transitions[i];
    if (t) lines.push(`  not covered: transitions[${i}] ${t.from_node} -> ${t.to_node} (${t.condition})`);
  }
  return lines;
}
