// Flow files: YAML or JSON text to data, with syntax errors placed by line and column
// (yaml reports them; JSON.parse only gives an offset on some Node versions, which is
// turned into a line here). Schema problems from a YAML file get the line of the field.
import { readFileSync } from 'node:fs';
import { LineCounter, isNode, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import { validateFlow } from './check-flow.ts';
import type { ValidateResult } from './check-flow.ts';
import type { CheckOptions, FlowProblem } from './problems.ts';

export type FlowFormat = 'yaml' | 'json' | 'auto';

export function formatOfFile(file: string): FlowFormat {
  return /\.json$/i.test(file) ? 'json' : /\.ya?ml$/i.test(file) ? 'yaml' : 'auto';
}

type Parsed = { ok: true; data: unknown; lineOf: (path: string) => number | undefined } | { ok: false; problems: FlowProblem[] };

const syntax = (message: string): FlowProblem => ({ code: 'SYNTAX', message, path: '', severity: 'error' });

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

function parseJson(text: string): Parsed {
  try {
    return { ok: true, data: JSON.parse(text) as unknown, lineOf: () => undefined };
  } catch (err) {
    const msg = (err as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const where = pos && !/line \d+/.test(msg) ? ` (${lineCol(text, Number(pos[1]))})` : '';
    return { ok: false, problems: [syntax(`invalid JSON: ${msg}${where}`)] };
  }
}

/** "nodes[2].actions[0]" -> ["nodes", 2, "actions", 0] */
function segments(path: string): (string | number)[] {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : (m[1] as string)));
}

function locator(doc: Document, lines: LineCounter): (path: string) => number | undefined {
  return (path) => {
    const segs = segments(path);
    // An unknown or missing field has no node: the closest ancestor that exists is shown.
    for (let n = segs.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(segs.slice(0, n), true);
      if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
    }
    return undefined;
  };
}

function parseYaml(text: string): Parsed {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        // prettyErrors appends " at line L, column C:" and a source excerpt; the place is said first instead.
        const message = (e.message.split('\n')[0] ?? e.code).replace(/ at line \d+, column \d+:?$/, '');
        return syntax(`invalid YAML${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}: ${message}`);
      }),
    };
  }
  try {
    // maxAliasCount bounds "billion laughs" alias expansion.
    return { ok: true, data: doc.toJS({ maxAliasCount: 100 }) as unknown, lineOf: locator(doc, lines) };
  } catch (err) {
    return { ok: false, problems: [syntax(`invalid YAML: ${(err as Error).message}`)] };
  }
}

/** YAML or JSON text to data, or SYNTAX problems with line numbers. */
export function parseText(text: string, format: FlowFormat): Parsed {
  if (text.trim() === '') return { ok: false, problems: [syntax('the file is empty')] };
  const effective = format === 'auto' ? (/^\s*[{[]/.test(text) ? 'json' : 'yaml') : format;
  return effective === 'json' ? parseJson(text) : parseYaml(text);
}

export type LoadResult = ValidateResult & { problems: FlowProblem[] };

/** Text to a checked flow; never throws. `flow` is null when the text or its shape is wrong. */
export function loadFlow(text: string, format: FlowFormat, options: Partial<CheckOptions> = {}): LoadResult {
  const parsed = parseText(text, format);
  if (!parsed.ok) return { valid: false, problems: parsed.problems, errors: parsed.problems.length, warnings: 0, depth: null, paths: null, flow: null };
  const result = validateFlow(parsed.data, options);
  // Paths point into the YAML too: each problem gets the line a person opens the file at.
  const problems = result.problems.map((p) => {
    const line = p.path === '' ? undefined : parsed.lineOf(p.path);
    return line === undefined ? p : { ...p, line };
  });
  return { ...result, problems };
}

/** The text of a flow or cases file, or a FILE_UNREADABLE problem saying why not. */
export function readFlowText(file: string, read: (p: string) => string = (p) => readFileSync(p, 'utf8')): { ok: true; text: string } | { ok: false; problems: FlowProblem[] } {
  try {
    return { ok: true, text: read(file) };
  } catch (err) {
    return { ok: false, problems: [{ code: 'FILE_UNREADABLE', message: `cannot read ${file}: ${(err as Error).message}`, path: '', severity: 'error' }] };
  }
}

/** Reads and checks a flow file, the format taken from its extension. Never throws. */
export function loadFlowFile(file: string, options: Partial<CheckOptions> = {}, read?: (p: string) => string): LoadResult {
  const text = readFlowText(file, read);
  if (!text.ok) return { valid: false, problems: text.problems, errors: 1, warnings: 0, depth: null, paths: null, flow: null };
  return loadFlow(text.text, formatOfFile(file), options);
}
