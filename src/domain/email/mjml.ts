// MJML → HTML with the real compiler (mjml 5, async API), plus the structural checks MJML
// skips (see mjml-structure.ts). Invalid MJML "renders silently wrong", so callers get
// every problem with a line number instead of a best-effort HTML alone.
//
// Used by the template-preview endpoint (untrusted input) and by the channel spec check.
// A template with a script (mjml-scripts.ts) is refused and never compiled.
// Hence: it never throws, and `<mj-include>` is never resolved (mjml 5's default,
// pinned here) — a preview request must not be able to read files from the server, and
// CXone could not resolve our partials anyway. An include is reported as an error.
import { findMjmlScripts } from './mjml-scripts.ts';
import { checkMjmlStructure } from './mjml-structure.ts';
import type { MjmlIssue } from './mjml-structure.ts';

export type { MjmlIssue } from './mjml-structure.ts';

export interface MjmlCompileResult {
  /** Best-effort HTML even when `valid` is false (soft validation); '' when MJML threw. */
  html: string;
  /** Structural errors and MJML validator errors, sorted by line (unknown lines last). */
  errors: MjmlIssue[];
  /** Not fatal: mis-nested or unclosed HTML inside mj-text and the like. */
  warnings: MjmlIssue[];
  /** No errors. Warnings do not make a template invalid. */
  valid: boolean;
}

/**
 * Far above any real template (Gmail clips HTML at 102 KB), and low enough that the
 * compiler's cost on hostile input stays bounded. The preview endpoint should still cap
 * its request body and rate-limit: MJML is CPU-bound and cannot be interrupted.
 */
export const MAX_MJML_LENGTH = 500_000;

export interface CompileMjmlOptions {
  /**
   * The template's path. Forwarded to MJML (it names the file in MJML's own messages);
   * MJML refuses a path that does not exist, which is then reported as an error.
   */
  filePath?: string;
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

function byLine(a: MjmlIssue, b: MjmlIssue): number {
  return (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER);
}

/** Same line, tag and message reported twice (by us and by MJML) is noise. */
function dedupe(issues: MjmlIssue[]): MjmlIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.line}\u0000${i.tag}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// MJML and its HTML/CSS toolchain are over 500 modules: loaded on the first compile, not
// by every process that imports this file (the CLI's SMS commands, the workers).
const importCompiler = () => import('mjml').then((m) => m.default);
let compiler: ReturnType<typeof importCompiler> | undefined;
const loadCompiler = () => (compiler ??= importCompiler());

export async function compileMjml(source: string, opts: CompileMjmlOptions = {}): Promise<MjmlCompileResult> {
  // Callers from plain JS (a JSON body) may hand us anything.
  if (typeof source !== 'string') {
    const errors = [{ line: null, tag: null, message: 'template source must be a string' }];
    return { html: '', errors, warnings: [], valid: false };
  }
  if (source.length > MAX_MJML_LENGTH) {
    const errors = [{ line: null, tag: null, message: `template is ${source.length} characters; the limit is ${MAX_MJML_LENGTH}` }];
    return { html: '', errors, warnings: [], valid: false };
  }
  const structure = checkMjmlStructure(source);
  const scripts = findMjmlScripts(source);
  const errors: MjmlIssue[] = [...structure.errors, ...scripts];
  let html = '';
  // A template with a script is not compiled at all: no caller gets HTML that carries it.
  if (source.trim() !== '' && !structure.tooDeep && scripts.length === 0) {
    try {
      const mjml2html = await loadCompiler();
      const result = await mjml2html(source, {
        validationLevel: 'soft',
        ignoreIncludes: true,
        ...(opts.filePath === undefined ? {} : { filePath: opts.filePath }),
      });
      html = result.html;
      for (const e of result.errors) {
        errors.push({
          line: typeof e.line === 'number' && Number.isFinite(e.line) ? e.line : null,
          tag: e.tagName || null,
          message: e.message,
        });
      }
    } catch (err) {
      // MJML throws "Malformed MJML" / "Parsing failed" for what the structure check has
      // already explained with a line number; its message is only added when it is new.
      if (structure.errors.length === 0) errors.push({ line: null, tag: null, message: `MJML: ${errorMessage(err)}` });
    }
  }
  const sorted = dedupe(errors).sort(byLine);
  return { html, errors: sorted, warnings: [...structure.warnings].sort(byLine), valid: sorted.length === 0 };
}
