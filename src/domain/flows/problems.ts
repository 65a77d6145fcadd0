// What the checker reports: one record per problem, never a first-error-only string (the
// seed's defect F-68). The codes are stable: tests, metrics and CI scripts key on them.

export const PROBLEM_CODES = [
  'FILE_UNREADABLE',
  'SCHEMA',
  'SYNTAX',
  'DUPLICATE_NODE_ID',
  'ENTRY_MISSING',
  'TRANSITION_FROM_MISSING',
  'TRANSITION_TO_MISSING',
  'DISCLOSURE_MISSING',
  'DISCLOSURE_NOT_FIRST',
  'RETRIES_EXCEEDED',
  'DEPTH_EXCEEDED',
  'CYCLE',
  'DEAD_END',
  'UNREACHABLE',
  'UNKNOWN_NODE_TYPE',
  'UNKNOWN_DIRECTIVE',
  'INVALID_CONDITION',
  'AMBIGUOUS_CONDITION',
  'UNHANDLED_INPUT',
  'INPUT_ON_NON_COLLECT',
  'TERMINAL_HAS_TRANSITIONS',
  'ACTION_MISMATCH',
  'TOO_MANY_NODES',
] as const;
export type ProblemCode = (typeof PROBLEM_CODES)[number];

export type Severity = 'error' | 'warning';

export interface FlowProblem {
  code: ProblemCode;
  message: string;
  /** JSON path into the flow file ("transitions[3].to_node"); "" for the file itself. */
  path: string;
  severity: Severity;
  /** Node ids the problem is about, in order: the loop of a CYCLE, the path of DEPTH_EXCEEDED. */
  nodes?: string[];
  /** Line in the YAML file where the path is (or its closest existing parent). */
  line?: number;
}

/** The document's limits (CF 101-105, 148) and the peers' node limit, overridable per call. */
export interface CheckOptions {
  maxDepth: number;
  maxRetries: number;
  disclosureType: string;
  terminals: readonly string[];
  /** TOO_MANY_NODES warning past this many nodes (Amazon Connect allows 250 actions). */
  maxNodesWarn: number;
  /** Warnings count as errors (CI gates). */
  strict: boolean;
}

export const DEFAULT_CHECK_OPTIONS: Readonly<CheckOptions> = {
  maxDepth: 45,
  maxRetries: 3,
  disclosureType: 'disclosure',
  terminals: ['agent', 'voicemail', 'disconnect', 'callback'],
  maxNodesWarn: 250,
  strict: false,
};

/** Node types that route the caller somewhere a disclosure must precede (B5, TCPA). */
export const NEEDS_DISCLOSURE: readonly string[] = ['agent', 'callback', 'collect', 'voicemail'];

export const NODE_TYPES: readonly string[] = ['play', 'disclosure', 'collect', 'agent', 'callback', 'voicemail', 'disconnect'];

export const DIRECTIVES: readonly string[] = ['play', 'collect', 'route', 'schedule', 'disconnect'];

/** The CLI line: "transitions[3].to_node: TRANSITION_TO_MISSING transition references missing to_node: x". */
export function formatProblem(p: FlowProblem): string {
  return `${p.path || '(file)'}: ${p.code} ${p.message}${p.line === undefined ? '' : ` (line ${p.line})`}`;
}

/** Short list of ids for a message; the full list stays in `nodes`. */
export function showPath(ids: readonly string[], max = 12): string {
  if (ids.length <= max) return ids.join(' -> ');
  const head = ids.slice(0, max - 4);
  const tail = ids.slice(-3);
  return `${head.join(' -> ')} -> ... (${ids.length - head.length - tail.length} more) -> ${tail.join(' -> ')}`;
}

/** Codes that are warnings unless `strict`; every other code blocks publishing. */
export const WARNING_CODES: ReadonlySet<ProblemCode> = new Set<ProblemCode>([
  'AMBIGUOUS_CONDITION',
  'UNHANDLED_INPUT',
  'INPUT_ON_NON_COLLECT',
  'TERMINAL_HAS_TRANSITIONS',
  'TOO_MANY_NODES',
]);

export type Report = (code: ProblemCode, path: string, message: string, extra?: { nodes?: string[]; severity?: Severity }) => void;

/** A problem list and the function rules report into. */
export function collector(): { problems: FlowProblem[]; report: Report } {
  const problems: FlowProblem[] = [];
  const report: Report = (code, path, message, extra) => {
    const severity = extra?.severity ?? (WARNING_CODES.has(code) ? 'warning' : 'error');
    problems.push({ code, message, path, severity, ...(extra?.nodes ? { nodes: extra.nodes } : {}) });
  };
  return { problems, report };
}
