// Streams rows out of a CSV (header row) or JSONL file without loading it: a million-row
// file costs one chunk of memory at a time. A record that cannot be read (bad quoting,
// invalid UTF-8, a broken JSON line, too long) becomes a row with a parse error, so the
// rest of the file goes on. A file that cannot be a batch at all (empty, no header with
// the required columns) is refused before its first row.
import { createReadStream } from 'node:fs';
import { ErrorCode, PermanentError } from '../errors.ts';
import type { IntakeRow } from './intake.ts';
import { readCsvRecords, readLines, type CsvRecord, type Line } from './csv-records.ts';

export type RowFormat = 'csv' | 'jsonl';

/** The file as a whole cannot be read as a batch; nothing of it was sent. */
export class InputFileError extends PermanentError {
  constructor(message: string) {
    super(message, { code: ErrorCode.InputFile });
  }
}

export interface RowSourceOptions {
  format?: RowFormat;
  /** CSV header columns that must be present (e.g. to, text). */
  requiredColumns?: string[];
  /** A file with no data rows is an error unless this is set. */
  allowEmpty?: boolean;
}

/** Longest line read as a row: ten UCS-2 segments of text take under 3 KiB of UTF-8. */
const MAX_LINE_BYTES = 64 * 1024;
/** Lines one quoted field may span before its opening quote is taken as a stray one. */
const MAX_RECORD_LINES = 100;
const BOM = '\uFEFF';

export function detectFormat(path: string): RowFormat {
  return /\.(jsonl|ndjson|json)$/i.test(path) ? 'jsonl' : 'csv';
}

/**
 * Opens a file of rows: reads its header and first row, refusing an empty file or one
 * without the required columns, then streams the rows.
 */
export async function openRows(path: string, opts: RowSourceOptions = {}): Promise<AsyncGenerator<IntakeRow>> {
  const format = opts.format ?? detectFormat(path);
  const lines = stripBom(readLines(fileBytes(path), { maxLineBytes: MAX_LINE_BYTES }));
  const rows = format === 'jsonl' ? jsonlRows(lines) : csvRows(lines, opts.requiredColumns ?? [], path);
  const first = await rows.next();
  if (first.done && !opts.allowEmpty) {
    throw new InputFileError(`${path}: no rows to send${format === 'csv' ? ' (a header row and nothing after it)' : ' (the file is empty)'}`);
  }
  return (async function* () {
    if (first.done) return;
    yield first.value;
    yield* rows;
  })();
}

/** Rows of a file, lazily; an empty file is no rows. */
export async function* readRows(path: string, format?: RowFormat): AsyncGenerator<IntakeRow> {
  yield* await openRows(path, { ...(format ? { format } : {}), allowEmpty: true });
}

// A missing or unreadable file fails with its own errno error (ENOENT, EISDIR, with the
// path), which the CLI turns into one line and exit code 4.
async function* fileBytes(path: string): AsyncGenerator<Buffer> {
  // "-" is standard input, as in `... | cxone-fleet sms send --file -`.
  for await (const chunk of path === '-' ? process.stdin : createReadStream(path)) yield chunk as Buffer;
}

async function* jsonlRows(lines: AsyncIterable<Line>): AsyncGenerator<IntakeRow> {
  let row = 0;
  for await (const line of lines) {
    if ('text' in line && line.text.trim() === '') continue;
    row++;
    if ('error' in line) {
      yield { row, input: undefined, parseError: line.error };
      continue;
    }
    try {
      const value = JSON.parse(line.text) as unknown;
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        yield { row, input: undefined, parseError: 'line is not a JSON object' };
      } else {
        yield { row, input: value };
      }
    } catch {
      // The parser's message names a position: one reason for every bad line, not one each.
      yield { row, input: undefined, parseError: 'invalid JSON' };
    }
  }
}

async function* csvRows(lines: AsyncIterable<Line>, required: string[], path: string): AsyncGenerator<IntakeRow> {
  const records = readCsvRecords(lines, { maxLineBytes: MAX_LINE_BYTES, maxRecordLines: MAX_RECORD_LINES });
  const head = await records.next();
  if (head.done) throw new InputFileError(`${path}: the file is empty; a CSV batch starts with a header row naming its columns (to, text, ...)`);
  const columns = headerOf(head.value, required, path);
  let row = 0;
  for await (const rec of records) {
    row++;
    if ('error' in rec) {
      yield { row, input: undefined, parseError: rec.error };
    } else if (rec.fields.length > columns.length) {
      yield { row, input: undefined, parseError: `${rec.fields.length} fields but the header has ${columns.length} (quote a field that contains a comma)` };
    } else {
      yield { row, input: Object.fromEntries(rec.fields.map((f, i) => [columns[i]!, f])) };
    }
  }
}

function headerOf(rec: CsvRecord, required: string[], path: string): string[] {
  if ('error' in rec) throw new InputFileError(`${path}: the header row cannot be read: ${rec.error}`);
  const columns = rec.fields.map((f) => f.trim());
  const missing = required.filter((c) => !columns.includes(c));
  if (missing.length > 0) {
    throw new InputFileError(
      `${path}: the header row lacks the required column${missing.length === 1 ? '' : 's'} ${missing.join(', ')} (found: ${columns.slice(0, 10).map((c) => JSON.stringify(c)).join(', ')}${columns.length > 10 ? ', ...' : ''}); a CSV batch starts with a header row such as "to,text"`,
    );
  }
  return columns;
}

async function* stripBom(lines: AsyncIterable<Line>): AsyncGenerator<Line> {
  let first = true;
  for await (const line of lines) {
    yield first && 'text' in line && line.text.startsWith(BOM) ? { text: line.text.slice(1) } : line;
    first = false;
  }
}
