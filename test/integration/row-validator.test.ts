// Validation in a thread beside the producer gives exactly what validation in place gives.
import { describe, expect, it } from 'vitest';
import { prepareChunk, type IntakeRow } from '../../src/sms/prepare-chunk.ts';
import { createThreadValidator } from '../../src/sms/row-validator.ts';

const rows: IntakeRow[] = [
  { row: 1, input: { to: '+14152000001', text: 'hello', ref: 'a:1' } },
  { row: 2, input: { to: 'nope', text: 'hello' } },
  { row: 3, input: { to: '+14152000002', text: 'Grüße 🚀' } },
  { row: 4, input: undefined, parseError: 'invalid JSON: Unexpected token' },
];
const ctx = {
  batchId: 'b',
  defaultRegion: 'US',
  maxSegments: 10,
  defaults: { from: 'ACME', campaignId: 'c' },
  job: { accountId: 'acct', requestId: 'req-1', validityMs: 60_000, nowMs: 1_700_000_000_000 },
};

describe('thread validator', () => {
  it('prepares a chunk in a worker thread exactly as in place', async () => {
    const v = createThreadValidator();
    try {
      const [a, b] = await Promise.all([v.prepare(rows, ctx), v.prepare(rows.slice(0, 2), { ...ctx, batchId: 'b2' })]);
      expect(a).toEqual(prepareChunk(rows, ctx));
      expect(a.valid.map((x) => x.messageId)).toEqual(['ref-a%3A1', 'b.3']);
      expect(a.rejections.map((r) => r.row)).toEqual([2, 4]);
      // The payload crosses the thread boundary whole: the producer adds it as it is.
      expect(a.valid[1]!.payload).toMatchObject({ accountId: 'acct', requestId: 'req-1', encoding: 'UCS-2', notAfter: 1_700_000_060_000 });
      expect(b).toEqual(prepareChunk(rows.slice(0, 2), { ...ctx, batchId: 'b2' }));
    } finally {
      await v.close();
    }
  });
});
