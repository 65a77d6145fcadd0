// The flows domain as a library: parse, check, walk and test call flows. Pure apart from
// loadFlowFile/readFlowText, which read the file they are given.
export { checkFlow, validateFlow, resolveCheckOptions } from './check-flow.ts';
export type { CheckResult, ValidateResult } from './check-flow.ts';
export { loadCases, runCases } from './flow-cases.ts';
export type { CasesReport, CaseResult, Coverage, FlowCase } from './flow-cases.ts';
export { flowSchema, jsonPath } from './flow-schema.ts';
export type { Flow, FlowAction, FlowNode, FlowTransition } from './flow-schema.ts';
export { formatOfFile, loadFlow, loadFlowFile, parseText, readFlowText } from './load-flow.ts';
export type { FlowFormat, LoadResult } from './load-flow.ts';
export { DEFAULT_CHECK_OPTIONS, PROBLEM_CODES, WARNING_CODES, formatProblem } from './problems.ts';
export type { CheckOptions, FlowProblem, ProblemCode, Severity } from './problems.ts';
export { countFlowPaths, formatWalk, walkFlow } from './simulate.ts';
export type { WalkOptions, WalkResult, WalkStep } from './simulate.ts';
