// Well-formedness checks that MJML itself skips. mjml-parser-xml is built on htmlparser2,
// which silently auto-closes whatever is left open, so `<mj-section><mj-column></mj-section>`
// compiles without a single error and renders a different layout than the author wrote.
// This is a small single-pass tokenizer that balances the MJML tags (`mjml`, `mj-*`) and
// reports every problem with the line it was found on.
//
// Scope, deliberately:
// - Only `mjml`/`mj-*` tags are balanced as errors. Plain HTML is MJML's business only
//   inside "ending tags" (mj-text, mj-button, ...), whose content is raw HTML.
// - Inside those, mis-nested or unclosed HTML (`<p><b>x</p></b>`) is a *warning*: email
//   clients are forgiving and the output still renders, but often not as intended.
//   Elements whose end tag HTML makes optional (p, li, td, ...) and void elements (br,
//   img, ...) are never reported.
// - `<mj-raw>` content is not balanced at all: splitting a `<table>` across two mj-raw
//   blocks is an established MJML idiom.
// - mj-style / mj-title / mj-preview / mj-breakpoint hold text (CSS), scanned only for
//   their closing tag, so a `>` selector is never read as markup.
import { lineIndex, scanTag } from './mjml-tokenizer.ts';
import type { TagToken } from './mjml-tokenizer.ts';

export interface MjmlIssue {
  /** 1-based line of the problem; null when it has no single location. */
  line: number | null;
  /** The MJML (or HTML) tag concerned, without angle brackets. */
  tag: string | null;
  message: string;
}

export interface StructureReport {
  errors: MjmlIssue[];
  warnings: MjmlIssue[];
  /** MJML nesting went past MAX_MJML_DEPTH: not worth (or safe) handing to the compiler. */
  tooDeep: boolean;
}

/**
 * Real templates nest about 8 deep (mjml > mj-body > mj-wrapper > mj-section > mj-group >
 * mj-column > mj-text). MJML's own recursion takes seconds on thousands of levels, which
 * a hostile preview request could exploit, so a depth far beyond any real use is an error.
 */
export const MAX_MJML_DEPTH = 64;

/** Components with `endingTag = true` in mjml 5: their content is not parsed as MJML. */
const TEXT_CONTENT = new Set(['mj-style', 'mj-title', 'mj-preview', 'mj-breakpoint']);
const LOOSE_HTML_CONTENT = new Set(['mj-raw']);
const HTML_CONTENT = new Set([
  'mj-text',
  'mj-button',
  'mj-table',
  'mj-accordion-title',
  'mj-accordion-text',
  'mj-navbar-link',
  'mj-social-element',
  'mj-carousel-image',
]);

const VOID_HTML = new Set(
  ['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr'],
);
/** End tag optional in HTML: leaving these open is normal, not a mistake. */
const OPTIONAL_END_HTML = new Set(
  ['p', 'li', 'dt', 'dd', 'tr', 'td', 'th', 'thead', 'tbody', 'tfoot', 'option', 'optgroup', 'colgroup', 'caption', 'rt', 'rp'],
);
/** HTML elements whose content is raw text (a `<` in a script is not a tag). */
const RAW_TEXT_HTML = new Set(['script', 'style']);

interface OpenElement {
  name: string;
  line: number;
  /** Innermost ending-tag element containing this one (itself included), if any. */
  rawOwner: OpenElement | undefined;
  /** Open HTML elements inside an ending tag's content (balanced mode only). */
  html: OpenStack<{ name: string; line: number }>;
}

const isMjmlTag = (name: string): boolean => name === 'mjml' || name.startsWith('mj-');
const isEndingTag = (name: string): boolean =>
  TEXT_CONTENT.has(name) || LOOSE_HTML_CONTENT.has(name) || HTML_CONTENT.has(name);

/** Removes and returns one occurrence of `name` from a multiset; true if it was there. */
function takeOne(set: Map<string, number>, name: string): boolean {
  const n = set.get(name) ?? 0;
  if (n === 0) return false;
  set.set(name, n - 1);
  return true;
}
const addOne = (set: Map<string, number>, name: string): void => {
  set.set(name, (set.get(name) ?? 0) + 1);
};

/**
 * A stack of open elements that also counts names, so looking up a name that is not open
 * costs O(1). The preview endpoint compiles untrusted input: with this, a flood of stray
 * or deeply nested tags still scans in linear time (a found element's search cost is
 * paid back by popping everything above it).
 */
class OpenStack<T extends { name: string }> {
  readonly items: T[] = [];
  private readonly counts = new Map<string, number>();

  push(item: T): void {
    this.items.push(item);
    addOne(this.counts, item.name);
  }

  pop(): T | undefined {
    const item = this.items.pop();
    if (item) takeOne(this.counts, item.name);
    return item;
  }

  top(): T | undefined {
    return this.items.at(-1);
  }

  /** Index of the innermost open `name`, or -1. */
  lastIndexOf(name: string): number {
    if (!this.counts.get(name)) return -1;
    for (let k = this.items.length - 1; k >= 0; k--) if (this.items[k]?.name === name) return k;
    return -1;
  }

  clear(): void {
    this.items.length = 0;
    this.counts.clear();
  }
}

export function checkMjmlStructure(source: string): StructureReport {
  const errors: MjmlIssue[] = [];
  const warnings: MjmlIssue[] = [];
  if (source.trim() === '') {
    return { errors: [{ line: null, tag: null, message: 'template is empty' }], warnings, tooDeep: false };
  }
  const lineAt = lineIndex(source);
  const stack = new OpenStack<OpenElement>();
  // Closed implicitly by a mis-nested end tag (already reported): their own end tag,
  // when it comes, is not a second "stray" error.
  const implicitlyClosed = new Map<string, number>();
  const htmlImplicitlyClosed = new Map<string, number>();
  const outsideRoot: MjmlIssue[] = [];
  let rootLine: number | null = null;
  let bodySeen = false;
  let tooDeep = false;

  const rawOwner = (): OpenElement | undefined => stack.top()?.rawOwner;

  const reportUnclosedHtml = (el: OpenElement, closedAt: string): void => {
    for (const h of el.html.items) {
      if (OPTIONAL_END_HTML.has(h.name)) continue;
      warnings.push({ line: h.line, tag: h.name, message: `HTML <${h.name}> inside <${el.name}> is not closed before ${closedAt}` });
    }
    el.html.clear();
  };

  const onMjOpen = (tok: TagToken, line: number): void => {
    const owner = rawOwner();
    if (owner) {
      errors.push({ line, tag: tok.name, message: `<${tok.name}> inside <${owner.name}> (line ${owner.line}), whose content is raw HTML: is a </${owner.name}> missing?` });
    }
    if (tok.name === 'mj-include') {
      errors.push({ line, tag: tok.name, message: 'mj-include is not supported: includes are not resolved, so the template must be self-contained' });
    }
    if (tok.name === 'mjml') {
      if (rootLine !== null) errors.push({ line, tag: 'mjml', message: `more than one <mjml> root (first on line ${rootLine})` });
      else if (stack.items.length > 0) errors.push({ line, tag: 'mjml', message: `<mjml> must be the root element, found inside <${stack.top()?.name}>` });
      rootLine ??= line;
    } else if (stack.items.length === 0) {
      outsideRoot.push({ line, tag: tok.name, message: `<${tok.name}> is outside the <mjml> root element` });
    } else if (tok.name === 'mj-body' && stack.top()?.name === 'mjml') {
      if (bodySeen) errors.push({ line, tag: 'mj-body', message: 'more than one <mj-body>' });
      bodySeen = true;
    }
    if (tok.selfClosing) return;
    const el: OpenElement = { name: tok.name, line, rawOwner: owner, html: new OpenStack() };
    if (isEndingTag(tok.name)) el.rawOwner = el;
    stack.push(el);
    if (!tooDeep && stack.items.length > MAX_MJML_DEPTH) {
      tooDeep = true;
      errors.push({ line, tag: tok.name, message: `MJML tags are nested more than ${MAX_MJML_DEPTH} levels deep` });
    }
  };

  const onMjClose = (name: string, line: number): void => {
    const idx = stack.lastIndexOf(name);
    if (idx < 0) {
      if (takeOne(implicitlyClosed, name)) return;
      errors.push({ line, tag: name, message: `stray closing tag </${name}>: no <${name}> is open` });
      return;
    }
    while (stack.items.length > idx + 1) {
      const inner = stack.pop();
      if (!inner) break;
      errors.push({ line, tag: inner.name, message: `<${inner.name}> opened on line ${inner.line} is not closed before </${name}> (mis-nested tags)` });
      addOne(implicitlyClosed, inner.name);
    }
    const el = stack.pop();
    if (el && HTML_CONTENT.has(el.name)) reportUnclosedHtml(el, `</${name}> on line ${line}`);
  };

  const onHtmlOpen = (tok: TagToken, line: number, owner: OpenElement): void => {
    if (tok.selfClosing || VOID_HTML.has(tok.name) || !HTML_CONTENT.has(owner.name)) return;
    owner.html.push({ name: tok.name, line });
  };

  const onHtmlClose = (name: string, line: number, owner: OpenElement): void => {
    if (!HTML_CONTENT.has(owner.name)) return;
    const idx = owner.html.lastIndexOf(name);
    if (idx < 0) {
      if (takeOne(htmlImplicitlyClosed, name) || VOID_HTML.has(name)) return;
      warnings.push({ line, tag: name, message: `stray HTML closing tag </${name}> inside <${owner.name}>` });
      return;
    }
    while (owner.html.items.length > idx + 1) {
      const inner = owner.html.pop();
      if (!inner || OPTIONAL_END_HTML.has(inner.name)) continue;
      warnings.push({ line, tag: inner.name, message: `HTML <${inner.name}> opened on line ${inner.line} is not closed before </${name}> (mis-nested HTML)` });
      addOne(htmlImplicitlyClosed, inner.name);
    }
    owner.html.pop();
  };

  let i = 0;
  const len = source.length;
  while (i < len) {
    const owner = rawOwner();
    if (owner && TEXT_CONTENT.has(owner.name)) {
      // Text content: jump to the owner's end tag; everything before it is CSS or text.
      const re = new RegExp(`</${owner.name}(?=[\\s>])`, 'gi');
      re.lastIndex = i;
      const m = re.exec(source);
      if (!m) break; // reported below as never closed
      i = m.index;
    }
    const lt = source.indexOf('<', i);
    const textEnd = lt < 0 ? len : lt;
    if (stack.items.length === 0 && source.slice(i, textEnd).trim() !== '') {
      const at = i + (source.slice(i, textEnd).length - source.slice(i, textEnd).trimStart().length);
      outsideRoot.push({ line: lineAt(at), tag: null, message: 'text outside the <mjml> root element' });
    }
    if (lt < 0) break;
    const tok = scanTag(source, lt);
    const line = lineAt(lt);
    if (tok.kind === 'text') {
      i = lt + 1;
      continue;
    }
    if (tok.kind === 'unterminated') {
      errors.push({ line, tag: tok.name, message: tok.message });
      // Balance it as if the `>` were there, so its partner is not reported a second time.
      if (tok.name !== null && isMjmlTag(tok.name)) {
        if (tok.partial === 'open') onMjOpen({ kind: 'open', name: tok.name, selfClosing: false, end: tok.end }, line);
        else if (tok.partial === 'close') onMjClose(tok.name, line);
      }
      if (tok.end >= len) break;
      i = tok.end;
      continue;
    }
    i = tok.end;
    if (tok.kind === 'comment' || tok.kind === 'declaration') continue;
    const rawIn = rawOwner();
    if (tok.kind === 'open') {
      if (isMjmlTag(tok.name)) onMjOpen(tok, line);
      else if (rawIn) {
        onHtmlOpen(tok, line, rawIn);
        if (RAW_TEXT_HTML.has(tok.name) && !tok.selfClosing) {
          // Skip script/style bodies wholesale; their end tag is consumed here.
          const re = new RegExp(`</${tok.name}\\s*>`, 'gi');
          re.lastIndex = i;
          const m = re.exec(source);
          if (m) {
            i = m.index + m[0].length;
            onHtmlClose(tok.name, lineAt(m.index), rawIn);
          }
        }
      }
    } else if (isMjmlTag(tok.name)) onMjClose(tok.name, line);
    else if (rawIn) onHtmlClose(tok.name, line, rawIn);
  }

  for (const el of [...stack.items].reverse()) {
    if (HTML_CONTENT.has(el.name)) reportUnclosedHtml(el, 'the end of the template');
    errors.push({ line: el.line, tag: el.name, message: `<${el.name}> opened on line ${el.line} is never closed` });
  }
  if (rootLine === null) {
    errors.push({ line: null, tag: 'mjml', message: 'missing <mjml> root element' });
  } else {
    errors.push(...outsideRoot);
    if (!bodySeen) errors.push({ line: rootLine, tag: 'mj-body', message: 'missing <mj-body> inside <mjml>' });
  }
  return { errors, warnings, tooDeep };
}
