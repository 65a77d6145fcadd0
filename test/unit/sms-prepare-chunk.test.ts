// The CPU half of intake: per-row verdicts, deterministic ids, and send payloads built and
// parsed once, with the chunk's "now" deciding when an unsent message expires.
import { describe, expect, it } from 'vitest';
import { SMS_CHUNK_MAX, smsSendPayload } from '../../src/queues/payloads.ts';
import { assignSendJobs, prepareChunk, sendJobPayload, type ChunkContext } from '../../src/sms/prepare-chunk.ts';
import { contentHashOf } from '../../src/sms/repeat-guard.ts';

const NOW = 1_700_000_000_000;
const ctx: ChunkContext = {
  batchId: 'b1',
  defaultRegion: 'US',
  maxSegments: 10,
  defaults: { from: 'ACME', campaignId: 'c1' },
  job: { accountId: 'acct', requestId: 'req-7', validityMs: 3_600_000, nowMs: NOW, webhookUrl: 'https://hooks.example/sms' },
};

describe('prepareChunk', () => {
  it('builds each valid row its parsed send payload, due now or at its sendAt', () => {
    const sendAt = NOW + 86_400_000;
    const { valid, rejections } = prepareChunk(
      [
        { row: 1, input: { to: '(415) 200-0001', text: 'hello', priority: 'OTP' } },
        { row: 2, input: { to: '+14152000002', text: 'later', sendAt: new Date(sendAt).toISOString(), ref: 'crm:42' } },
      ],
      ctx,
    );
    expect(rejections).toEqual([]);
    expect(valid).toEqual([
      {
        row: 1,
        messageId: 'b1.1',
        contentHash: contentHashOf('+14152000001', 'ACME', 'hello'),
        payload: {
          accountId: 'acct',
          requestId: 'req-7',
          batchId: 'b1',
          messageId: 'b1.1',
          idempotencyKey: 'b1.1',
          to: '+14152000001',
          from: 'ACME',
          text: 'hello',
          campaignId: 'c1',
          priority: 'otp',
          encoding: 'GSM-7',
          segments: 1,
          notAfter: NOW + 3_600_000,
          webhookUrl: 'https://hooks.example/sms',
        },
      },
      expect.objectContaining({ row: 2, messageId: 'ref-crm%3A42', sendAt, payload: expect.objectContaining({ notAfter: sendAt + 3_600_000 }) }),
    ]);
  });

  it('reports bad rows with every reason and keeps the good ones of the chunk', () => {
    const { valid, rejections } = prepareChunk(
      [
        { row: 1, input: { to: 'not a number', text: '' } },
        { row: 2, input: undefined, parseError: 'line 3: unclosed quote' },
        { row: 3, input: { to: '+14152000003', text: 'fine' } },
      ],
      ctx,
    );
    expect(valid.map((v) => v.row)).toEqual([3]);
    expect(rejections).toEqual([
      { row: 1, to: 'not a number', reasons: [expect.objectContaining({ field: 'to' }), { field: 'text', message: 'must not be empty' }] },
      { row: 2, reasons: [{ field: '(row)', message: 'line 3: unclosed quote' }] },
    ]);
  });

  it('refuses on the row, naming the field, a message the send payload cannot carry', () => {
    // Segment limits are configurable; the job payload still caps a text at 10,000 characters.
    const { valid, rejections } = prepareChunk(
      [{ row: 1, input: { to: '+14152000001', text: 'x'.repeat(10_001) } }],
      { ...ctx, maxSegments: 1_000 },
    );
    expect(valid).toEqual([]);
    expect(rejections).toEqual([{ row: 1, to: '+14152000001', reasons: [{ field: 'text', message: expect.stringMatching(/10000/) }] }]);
  });
});

describe('contentHashOf', () => {
  it('tells recipient, sender and text apart, including where one ends and the next begins', () => {
    const h = contentHashOf('+14152000001', 'ACME', 'hi');
    expect(contentHashOf('+14152000001', 'ACME', 'hi')).toBe(h);
    expect(contentHashOf('+14152000002', 'ACME', 'hi')).not.toBe(h);
    expect(contentHashOf('+14152000001', 'ACMEh', 'i')).not.toBe(h);
    expect(contentHashOf('+14152000001', 'ACME', 'hi ')).not.toBe(h);
  });
});

describe('assignSendJobs', () => {
  const rows = (specs: { priority?: string; sendAt?: string }[]) =>
    prepareChunk(
      specs.map((s, i) => ({ row: i + 1, input: { to: `+1415200${String(1000 + i)}`, text: 'hi', ...s } })),
      ctx,
    ).valid;

  it('puts the messages of one lane and send time in jobs of up to the given size, in order', () => {
    const valid = rows(Array.from({ length: 7 }, () => ({})));
    expect(assignSendJobs('b1', valid, 3)).toEqual(['b1.1+3', 'b1.1+3', 'b1.1+3', 'b1.4+3', 'b1.4+3', 'b1.4+3', 'b1.7']);
  });

  it('keeps lanes and send times apart, and gives every one-time password a job of its own', () => {
    const later = new Date(NOW + 3_600_000).toISOString();
    const valid = rows([{}, { priority: 'otp' }, { priority: 'transactional' }, {}, { sendAt: later }, { priority: 'otp' }, { sendAt: later }, { priority: 'transactional' }]);
    expect(assignSendJobs('b1', valid, 20)).toEqual(['b1.1+2', 'b1.2', 'b1.3+2', 'b1.1+2', 'b1.5+2', 'b1.6', 'b1.5+2', 'b1.3+2']);
  });

  it('makes a job per message at size 1', () => {
    expect(assignSendJobs('b1', rows([{}, {}]), 1)).toEqual(['b1.1', 'b1.2']);
  });
});

describe('sendJobPayload', () => {
  const valid = prepareChunk([1, 2].map((row) => ({ row, input: { to: `+141520000${row}0`, text: 'hi' } })), ctx).valid;

  it('is the message itself for a job of its own, and a chunk that parses as one otherwise', () => {
    expect(sendJobPayload('b1.1', [valid[0]!.payload])).toBe(valid[0]!.payload);
    const chunk = sendJobPayload('b1.1+2', valid.map((v) => v.payload));
    expect(chunk).toEqual({ accountId: 'acct', requestId: 'req-7', kind: 'chunk', batchId: 'b1', messages: valid.map((v) => v.payload) });
    expect(smsSendPayload.parse(chunk)).toEqual(chunk);
    // A chunk's id with only one of its messages left is still a chunk (its record names it).
    expect(sendJobPayload('b1.1+2', [valid[1]!.payload])).toMatchObject({ kind: 'chunk', messages: [valid[1]!.payload] });
  });

  it('refuses a chunk payload past the most messages a job carries, naming the field', () => {
    const many = Array.from({ length: SMS_CHUNK_MAX + 1 }, () => valid[0]!.payload);
    const r = smsSendPayload.safeParse({ accountId: 'acct', kind: 'chunk', batchId: 'b1', messages: many });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(['messages']);
  });
});
