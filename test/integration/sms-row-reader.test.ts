// Rows out of real files: row numbers stay right around bad records, invalid UTF-8 and bad
// JSON are rows of their own, and a file that cannot be a batch is refused up front.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { IntakeRow } from '../../src/sms/intake.ts';
import { InputFileError, openRows } from '../../src/sms/row-reader.ts';

const dir = mkdtempSync(join(tmpdir(), 'cxf-rows-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function rowsOf(name: string, content: string | Buffer, required = ['to', 'text']): Promise<IntakeRow[]> {
  const path = join(dir, name);
  writeFileSync(path, content);
  const out: IntakeRow[] = [];
  for await (const r of await openRows(path, { requiredColumns: required })) out.push(r);
  return out;
}

describe('openRows', () => {
  it('numbers CSV rows by record, with a BOM, padded headers, multi-line fields and bad records between them', async () => {
    const rows = await rowsOf('a.csv', '\uFEFF to , text ,ref\n+1,"two\nlines",r1\n\n+2,Your code is "1",r2\n+3,a,b,c\n+4,short\n');
    expect(rows).toEqual([
      { row: 1, input: { to: '+1', text: 'two\nlines', ref: 'r1' } },
      { row: 2, input: undefined, parseError: expect.stringMatching(/^a quote inside an unquoted field/) },
      { row: 3, input: undefined, parseError: '4 fields but the header has 3 (quote a field that contains a comma)' },
      { row: 4, input: { to: '+4', text: 'short' } },
    ]);
  });

  it('makes invalid UTF-8 and broken JSON lines rows of their own in JSONL', async () => {
    const content = Buffer.concat([
      Buffer.from('{"to":"+1","text":"a"}\n\n'),
      Buffer.from('{"to":"+2","text":"caf'),
      Buffer.from([0xe9]),
      Buffer.from('"}\n{"to":\n[1]\n{"to":"+5","text":"e"}'),
    ]);
    expect(await rowsOf('a.jsonl', content)).toEqual([
      { row: 1, input: { to: '+1', text: 'a' } },
      { row: 2, input: undefined, parseError: 'not valid UTF-8 text (save the file as UTF-8)' },
      { row: 3, input: undefined, parseError: 'invalid JSON' },
      { row: 4, input: undefined, parseError: 'line is not a JSON object' },
      { row: 5, input: { to: '+5', text: 'e' } },
    ]);
  });

  it('refuses a missing file, an empty one, a header with nothing after it, and a header without the columns', async () => {
    const refused = async (name: string, content: string | undefined) => {
      const path = join(dir, name);
      if (content !== undefined) writeFileSync(path, content);
      return openRows(path, { requiredColumns: ['to', 'text'] }).then(
        () => undefined,
        (err: unknown) => (err instanceof InputFileError ? err.message : `not an InputFileError: ${String(err)}`),
      );
    };
    // A missing file keeps its errno error (the CLI names the path and exits 4).
    await expect(openRows(join(dir, 'missing.csv'))).rejects.toMatchObject({ code: 'ENOENT', path: join(dir, 'missing.csv') });
    expect(await refused('empty.csv', '')).toMatch(/the file is empty/);
    expect(await refused('header.csv', 'to,text\r\n\r\n')).toMatch(/no rows to send/);
    expect(await refused('nohead.csv', '+1,hi\n')).toMatch(/lacks the required columns to, text \(found: "\+1", "hi"\)/);
    expect(await refused('badhead.csv', 'to,"text\n+1,hi\n')).toMatch(/the header row cannot be read: a quoted field is never closed/);
  });
});
