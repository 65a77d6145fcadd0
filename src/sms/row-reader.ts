// Streams rows out of a CSV (header row) or JSONL file without loading it: a million-row
// file costs one chunk of memory at a time. A line that cannot be parsed becomes a row
// with a parse error, so the rest of the file goes on.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import type { IntakeRow } from './intake.ts';

export type RowFormat = 'csv' | 'jsonl';

export function detectFormat(path: string): RowFormat {
  return /\.(jsonl|ndjson|json)$/i.test(path) ? 'jsonl' : 'csv';
}

/** The file, or standard input for "-". */
function openInput(path: string): NodeJS.ReadableStream {
  return path === '-' ? process.stdin : createReadStream(path);
}

export async function* readRows(path: string, format: RowFormat = detectFormat(path)): AsyncGenerator<IntakeRow> {
  if (format === 'jsonl') {
    yield* readJsonl(path);
  } else {
    yield* readCsv(path);
  }
}

async function* readJsonl(path: string): AsyncGenerator<IntakeRow> {
  const lines = createInterface({ input: openInput(path).setEncoding('utf8'), crlfDelay: Infinity });
  let row = 0;
  for await (const line of lines) {
    if (line.trim() === '') continue;
    row++;
    try {
      const value = JSON.parse(line) as unknown;
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        yield { row, input: undefined, parseError: 'line is not a JSON object' };
      } else {
        yield { row, input: value };
      }
    } catch (err) {
      yield { row, input: undefined, parseError: `invalid JSON: ${(err as Error).message}` };
    }
  }
}

async function* readCsv(path: string): AsyncGenerator<IntakeRow> {
  const source = openInput(path);
  const parser = source.pipe(
    parse({
      columns: (header: string[]) => header.map((h) => h.trim()),
      bom: true,
      skip_empty_lines: true,
      trim: true,
      relax_column_count: true,
      // A bad record is reported per row instead of ending the whole file.
      skip_records_with_error: false,
    }),
  );
  // pipe() does not pass on the source's errors (a missing file): the loop must see them.
  source.on('error', (err: Error) => parser.destroy(err));
  let row = 0;
  for await (const record of parser as AsyncIterable<Record<string, string>>) {
    row++;
    yield { row, input: record };
  }
}
