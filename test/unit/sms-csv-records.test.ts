// The CSV record splitter: a malformed record is one bad row, and reading goes on at the
// next record, never at the end of the file.
import { describe, expect, it } from 'vitest';
import { NOT_UTF8, UNTERMINATED, parseRecord, readCsvRecords, readLines, type CsvRecord } from '../../src/sms/csv-records.ts';

async function records(input: Buffer | string, chunkSize = 7): Promise<CsvRecord[]> {
  const bytes = typeof input === 'string' ? Buffer.from(input) : input;
  async function* chunks() {
    for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, i + chunkSize);
  }
  const out: CsvRecord[] = [];
  for await (const r of readCsvRecords(readLines(chunks(), { maxLineBytes: 200 }), { maxLineBytes: 200, maxRecordLines: 5 })) out.push(r);
  return out;
}

const STRAY = /a quote inside an unquoted field/;

describe('parseRecord', () => {
  it.each([
    ['a,b,c', ['a', 'b', 'c']],
    [' a , b ', ['a', 'b']],
    ['"a,1","say ""hi"""', ['a,1', 'say "hi"']],
    ['  "x"  ,y', ['x', 'y']],
    ['a,', ['a', '']],
    ['"multi\nline",z', ['multi\nline', 'z']],
  ])('%j -> %j', (text, fields) => {
    expect(parseRecord(text)).toEqual({ fields });
  });

  it('refuses stray quotes and text after a closing quote; says when a quote is still open', () => {
    expect(parseRecord('+14152000001,Your code is "1234"')).toMatchObject({ error: expect.stringMatching(STRAY) });
    expect(parseRecord('+1,"Your code" is 1234')).toMatchObject({ error: expect.stringMatching(/after the closing quote/) });
    expect(parseRecord('+1,"Your code is 1234')).toEqual({ open: true });
  });
});

describe('readCsvRecords', () => {
  it('reports a stray quote as one bad record and reads on', async () => {
    expect(await records('to,text\n+1,one\n+2,Your code is "1234"\n+3,three\n')).toEqual([
      { fields: ['to', 'text'] },
      { fields: ['+1', 'one'] },
      { error: expect.stringMatching(STRAY) },
      { fields: ['+3', 'three'] },
    ]);
  });

  it('takes a quote never closed as a bad first line, and reads the lines after it again', async () => {
    expect(await records('to,text\n+1,"one\n+2,two\n+3,"three, quoted"\n+4,four')).toEqual([
      { fields: ['to', 'text'] },
      { error: UNTERMINATED },
      { fields: ['+2', 'two'] },
      { fields: ['+3', 'three, quoted'] },
      { fields: ['+4', 'four'] },
    ]);
    // Open until the end of the file, and open for longer than the line limit.
    expect(await records('+1,"one\n+2,two')).toEqual([{ error: UNTERMINATED }, { fields: ['+2', 'two'] }]);
    const many = Array.from({ length: 8 }, (_, i) => `+${i},t${i}`).join('\n');
    const r = await records(`+0,"open\n${many}`);
    expect(r[0]).toEqual({ error: UNTERMINATED });
    expect(r.slice(1)).toEqual(Array.from({ length: 8 }, (_, i) => ({ fields: [`+${i}`, `t${i}`] })));
  });

  it('keeps a quoted field that really spans lines, CRLF endings and blank lines', async () => {
    expect(await records('to,text\r\n\r\n+1,"line one\r\nline two"\r\n+2,x\r\n')).toEqual([
      { fields: ['to', 'text'] },
      { fields: ['+1', 'line one\nline two'] },
      { fields: ['+2', 'x'] },
    ]);
  });

  it('reports invalid UTF-8 and an overlong line per line, whatever the chunking', async () => {
    const bad = Buffer.concat([Buffer.from('to,text\n+1,caf'), Buffer.from([0xc3, 0x28]), Buffer.from('\n+2,Grüße\n+3,'), Buffer.from('x'.repeat(300)), Buffer.from('\n+4,ok')]);
    for (const size of [1, 3, 64, 4096]) {
      expect(await records(bad, size)).toEqual([
        { fields: ['to', 'text'] },
        { error: NOT_UTF8 },
        { fields: ['+2', 'Grüße'] },
        { error: 'longer than 200 bytes' },
        { fields: ['+4', 'ok'] },
      ]);
    }
  });
});
