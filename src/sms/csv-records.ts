// A file's bytes as records, one bad record at a time. A general CSV parser stops at the
// first malformed record (csv-parse raises INVALID_OPENING_QUOTE and QUOTE_NOT_CLOSED
// whatever skip_records_with_error says), so one stray quote on row 2,501 ended a batch
// after 2,500 rows. Here every physical line is checked on its own (UTF-8, length), a
// record is parsed strictly (RFC 4180, whitespace around fields ignored), and a quote that
// opens a field and never closes costs only its own line: the lines after it are read
// again as records of their own.
import { isUtf8 } from 'node:buffer';

/** A physical line: its text, or why it cannot be read. */
export type Line = { text: string } | { error: string };

/** A record: its fields, or why it is not one. */
export type CsvRecord = { fields: string[] } | { error: string };

export interface LineLimits {
  /** A line longer than this is one bad record; the reader skips to the next line. */
  maxLineBytes: number;
}

const NEWLINE = 0x0a;
const CR = 0x0d;

export const NOT_UTF8 = 'not valid UTF-8 text (save the file as UTF-8)';

/** Splits a byte stream on LF (CRLF too) without holding more than one line of it. */
export async function* readLines(source: AsyncIterable<Buffer | string>, limits: LineLimits): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let size = 0;
  let skipping = false;
  const finish = (tail: Buffer): Line => {
    const whole = parts.length === 0 ? tail : Buffer.concat([...parts, tail]);
    parts = [];
    size = 0;
    const end = whole.length > 0 && whole[whole.length - 1] === CR ? whole.length - 1 : whole.length;
    const bytes = whole.subarray(0, end);
    return isUtf8(bytes) ? { text: bytes.toString('utf8') } : { error: NOT_UTF8 };
  };
  for await (const raw of source) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    let from = 0;
    while (from < chunk.length) {
      const nl = chunk.indexOf(NEWLINE, from);
      const end = nl === -1 ? chunk.length : nl;
      if (!skipping) {
        size += end - from;
        if (size > limits.maxLineBytes) {
          skipping = true;
          parts = [];
          size = 0;
          yield { error: `longer than ${limits.maxLineBytes} bytes` };
        } else if (nl !== -1) {
          yield finish(chunk.subarray(from, end));
        } else {
          parts.push(chunk.subarray(from, end));
        }
      }
      if (nl === -1) break;
      skipping = false;
      from = nl + 1;
    }
  }
  if (!skipping && size > 0) yield finish(Buffer.alloc(0));
}

type Parsed = CsvRecord | { open: true };

const isBlank = (c: string) => c === ' ' || c === '\t';

/**
 * Parses one record strictly: a quote may only open a field (after optional blanks) and a
 * closing quote may only be followed by blanks and a comma; `""` inside quotes is a quote.
 * `open` when the text ends inside a quoted field (a record that spans lines).
 */
export function parseRecord(text: string): Parsed {
  const fields: string[] = [];
  let i = 0;
  const n = text.length;
  for (;;) {
    while (i < n && isBlank(text[i]!)) i++;
    if (text[i] === '"') {
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q === -1) return { open: true };
        value += text.slice(j, q);
        if (text[q + 1] === '"') {
          value += '"';
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      while (i < n && isBlank(text[i]!)) i++;
      fields.push(value);
      if (i === n) return { fields };
      if (text[i] !== ',') return { error: 'text after the closing quote of a quoted field (double a quote inside quotes: "")' };
      i++;
      continue;
    }
    const comma = text.indexOf(',', i);
    const end = comma === -1 ? n : comma;
    const value = text.slice(i, end);
    if (value.includes('"')) {
      return { error: 'a quote inside an unquoted field (quote the whole field and double the quote: "say ""hi""")' };
    }
    fields.push(value.trim());
    if (comma === -1) return { fields };
    i = comma + 1;
  }
}

export interface RecordLimits extends LineLimits {
  /** A quoted field may span at most this many lines before its quote counts as unterminated. */
  maxRecordLines: number;
}

export const UNTERMINATED = 'a quoted field is never closed on this row (a stray or missing quote)';

/**
 * Assembles lines into records. Blank lines between records are skipped. A record whose
 * quote stays open past the line limit, past the end of the file, or closes into text
 * that cannot follow it, is one bad record made of its first line only; the lines after
 * that line are read again from the start of a record.
 */
export async function* readCsvRecords(lines: AsyncIterable<Line>, limits: RecordLimits): AsyncGenerator<CsvRecord> {
  let pending: string[] = [];
  let pendingBytes = 0;

  function* feed(line: Line): Generator<CsvRecord> {
    if ('error' in line) {
      // No record spans a line that cannot be read: settle what is open, then report it.
      while (pending.length > 0) yield* giveUp();
      yield { error: line.error };
      return;
    }
    if (pending.length === 0 && line.text.trim() === '') return;
    pending.push(line.text);
    pendingBytes += line.text.length + 1;
    const parsed = parseRecord(pending.length === 1 ? line.text : pending.join('\n'));
    if ('fields' in parsed) {
      pending = [];
      pendingBytes = 0;
      yield parsed;
    } else if ('error' in parsed && pending.length === 1) {
      pending = [];
      pendingBytes = 0;
      yield parsed;
    } else if ('error' in parsed || pending.length > limits.maxRecordLines || pendingBytes > limits.maxLineBytes) {
      yield* giveUp();
    }
  }

  /** The open record was not one: its first line is the bad record, the rest start again. */
  function* giveUp(): Generator<CsvRecord> {
    const [, ...rest] = pending;
    pending = [];
    pendingBytes = 0;
    yield { error: UNTERMINATED };
    for (const text of rest) yield* feed({ text });
  }

  for await (const line of lines) yield* feed(line);
  while (pending.length > 0) yield* giveUp();
}
