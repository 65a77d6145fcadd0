// Templates run no scripts. Email clients strip them anyway, but a template with one is a
// mistake or an attack: the preview endpoint renders untrusted MJML into HTML that people
// open in a browser, and MJML passes `<script>` inside mj-text or mj-raw straight through.
// Refused, with the line and tag: a `<script>` element anywhere, an `on*=` event-handler
// attribute on any tag, and a `javascript:` URL in any attribute (as browsers read it:
// entities decoded, tabs and newlines ignored, any case).
import { lineIndex, scanTag } from './mjml-tokenizer.ts';
import type { MjmlIssue } from './mjml-structure.ts';

// name, then an optional value: "double", 'single' or bare. The tokenizer has already
// matched the quotes, so a tag's text always splits cleanly.
const ATTRIBUTE = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g;
const EVENT_HANDLER = /^on[a-z]+$/i;

const NAMED_ENTITIES: Record<string, string> = { colon: ':', tab: '\t', newline: '\n', lpar: '(', rpar: ')', amp: '&' };

/** An attribute value as a browser resolves it before reading its URL scheme. */
function decodeAttribute(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);?/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

/** Browsers drop ASCII tabs, newlines and leading controls/spaces from a URL before its scheme. */
export function isJavascriptUrl(value: string): boolean {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what a browser strips
  const url = decodeAttribute(value).replace(/[\u0000-\u0020]/g, '');
  return /^javascript:/i.test(url);
}

function attributeIssues(tag: string, text: string, line: number): MjmlIssue[] {
  const issues: MjmlIssue[] = [];
  ATTRIBUTE.lastIndex = 0;
  for (let m = ATTRIBUTE.exec(text); m; m = ATTRIBUTE.exec(text)) {
    const name = m[1]!;
    const value = m[2] ?? m[3] ?? m[4];
    if (EVENT_HANDLER.test(name)) {
      issues.push({ line, tag, message: `event-handler attribute ${name}= is not allowed: templates run no scripts` });
    } else if (value !== undefined && isJavascriptUrl(value)) {
      issues.push({ line, tag, message: `attribute ${name}= holds a javascript: URL, which is not allowed: templates run no scripts` });
    }
  }
  return issues;
}

/** Every script in the template: `<script>` elements, `on*=` attributes and `javascript:` URLs. */
export function findMjmlScripts(source: string): MjmlIssue[] {
  const issues: MjmlIssue[] = [];
  const lineAt = lineIndex(source);
  let i = 0;
  while (i < source.length) {
    const lt = source.indexOf('<', i);
    if (lt < 0) break;
    const tok = scanTag(source, lt);
    if (tok.kind === 'text') {
      i = lt + 1;
      continue;
    }
    // Malformed markup is the structure check's to report; scanning goes on past it.
    i = Math.max(tok.end, lt + 1);
    if (tok.kind !== 'open') continue;
    const line = lineAt(lt);
    // The attributes: what follows the tag name, up to the closing `>` or `/>`.
    issues.push(...attributeIssues(tok.name, source.slice(lt + 1 + tok.name.length, tok.end - 1), line));
    if (tok.name === 'script') {
      issues.push({ line, tag: 'script', message: 'script elements are not allowed: templates run no scripts' });
      // Its body is code, not markup: a `<` in it starts no tag.
      const end = new RegExp('</script\\s*>', 'gi');
      end.lastIndex = i;
      i = end.exec(source) ? end.lastIndex : source.length;
    }
  }
  return issues;
}
