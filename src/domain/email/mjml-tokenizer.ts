// A minimal markup tokenizer: reads the one construct that starts at a `<`. It exists so the
// structure check can track tags without a DOM parser, which (like htmlparser2 inside MJML)
// would repair the very mistakes we want to report. It understands comments (including
// Outlook conditional comments), CDATA, declarations, self-closing tags and quoted
// attribute values that contain `>`.

export interface TagToken {
  kind: 'open';
  /** Lower-cased, as htmlparser2 (and therefore MJML) sees it. */
  name: string;
  selfClosing: boolean;
  /** Index just past the closing `>`. */
  end: number;
}

export type Token =
  | TagToken
  | { kind: 'close'; name: string; end: number }
  | { kind: 'comment'; end: number }
  | { kind: 'declaration'; end: number }
  /** A `<` that starts no tag (`a < b`, `<%`, `{{<}}`): plain text. */
  | { kind: 'text' }
  /** Runs into the end of the input or into another tag; scanning resumes at `end`. */
  | { kind: 'unterminated'; name: string | null; partial: 'open' | 'close' | null; message: string; end: number };

const NAME_START = /[A-Za-z]/;
const NAME_CHAR = /[A-Za-z0-9:_.-]/;
const SPACE = /\s/;

function readName(src: string, from: number): number {
  let j = from;
  while (j < src.length && NAME_CHAR.test(src.charAt(j))) j++;
  return j;
}

function scanDelimited(src: string, start: number, open: string, close: string, what: string): Token {
  const stop = src.indexOf(close, start + open.length);
  if (stop < 0) return { kind: 'unterminated', name: null, partial: null, message: `${what} is never closed with '${close}'`, end: src.length };
  return { kind: open === '<!--' ? 'comment' : 'declaration', end: stop + close.length };
}

/** `<` at `start` is known to begin a tag name: read attributes up to `>` or `/>`. */
function scanOpenTag(src: string, start: number): Token {
  const nameEnd = readName(src, start + 1);
  const name = src.slice(start + 1, nameEnd).toLowerCase();
  const unterminated = (end: number, quote?: string): Token => ({
    kind: 'unterminated',
    name,
    partial: 'open',
    message:
      quote === undefined
        ? `tag <${name}> is not terminated with '>'`
        : `tag <${name}> has an attribute quote (${quote}) that is never closed`,
    end,
  });
  let j = nameEnd;
  while (j < src.length) {
    const c = src.charAt(j);
    if (c === '>') return { kind: 'open', name, selfClosing: false, end: j + 1 };
    if (c === '/' && src.charAt(j + 1) === '>') return { kind: 'open', name, selfClosing: true, end: j + 2 };
    // A `<` where an attribute should be: the `>` was forgotten and the next tag begins.
    if (c === '<') return unterminated(j);
    if (SPACE.test(c) || c === '/') {
      j++;
      continue;
    }
    if (c === '"' || c === "'") {
      // A quote with no attribute name: skip the quoted run rather than loop on it.
      const q = src.indexOf(c, j + 1);
      if (q < 0) return unterminated(src.length, c);
      j = q + 1;
      continue;
    }
    // Attribute name, then an optional `= value`.
    while (j < src.length && !/[\s=>/<"']/.test(src.charAt(j))) j++;
    let k = j;
    while (k < src.length && SPACE.test(src.charAt(k))) k++;
    if (src.charAt(k) !== '=') continue;
    k++;
    while (k < src.length && SPACE.test(src.charAt(k))) k++;
    const quote = src.charAt(k);
    if (quote === '"' || quote === "'") {
      const q = src.indexOf(quote, k + 1);
      if (q < 0) return unterminated(src.length, quote);
      j = q + 1;
    } else {
      while (k < src.length && !/[\s>]/.test(src.charAt(k))) k++;
      j = k;
    }
  }
  return unterminated(src.length);
}

function scanCloseTag(src: string, start: number): Token {
  const nameEnd = readName(src, start + 2);
  const name = src.slice(start + 2, nameEnd).toLowerCase();
  let j = nameEnd;
  while (j < src.length && SPACE.test(src.charAt(j))) j++;
  if (src.charAt(j) === '>') return { kind: 'close', name, end: j + 1 };
  return { kind: 'unterminated', name, partial: 'close', message: `closing tag </${name}> is not terminated with '>'`, end: j };
}

export function scanTag(src: string, start: number): Token {
  if (src.startsWith('<!--', start)) return scanDelimited(src, start, '<!--', '-->', 'comment');
  if (src.startsWith('<![CDATA[', start)) return scanDelimited(src, start, '<![CDATA[', ']]>', 'CDATA section');
  const next = src.charAt(start + 1);
  if (next === '!' || next === '?') return scanDelimited(src, start, '<' + next, '>', `declaration <${next}`);
  if (next === '/' && NAME_START.test(src.charAt(start + 2))) return scanCloseTag(src, start);
  if (NAME_START.test(next)) return scanOpenTag(src, start);
  return { kind: 'text' };
}

/** pos → 1-based line number, by binary search over the line starts. */
export function lineIndex(source: string): (pos: number) => number {
  const starts = [0];
  for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) starts.push(i + 1);
  return (pos) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}
