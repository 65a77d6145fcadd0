// The intake takes rows from an array, any other iterable or an async stream (a file being
// read) and must treat them alike: the same verdicts, in row order, and the same summary,
// across chunk boundaries, with real Redis answering the consent checks and the writes.
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createProducerContext } from '../../src/producer-context.ts';
import { deleteKeysWithPrefix, waitForReady } from '../../src/redis.ts';
import type { IntakeRow, RowVerdict } from '../../src/sms/intake.ts';
import { createSmsServices } from '../../src/sms/services.ts';
import { REDIS_ENV, testPrefix } from '../helpers/redis.ts';
import { waitingMessages } from '../helpers/sms-fleet.ts';

const prefix = testPrefix('intake');
const ctx = createProducerContext(loadConfig({ ...REDIS_ENV, FLEET_PREFIX: prefix }), { role: 'test', logger: createLogger({ level: 'silent' }) });
afterAll(async () => {
  await deleteKeysWithPrefix(ctx.redis, prefix);
  await ctx.close();
});

const inputs = [
  { to: '+14152000001', text: 'one' },
  { to: 'nope', text: 'bad number' },
  { to: '+14152000002', text: 'two' },
  { to: '+14153000000', text: 'no consent' },
  { to: '+14152000003', text: '' },
  { to: '+14152000004', text: 'four' },
  { to: '+14152000005', text: 'Grüße 🚀' },
];
const rows = (): IntakeRow[] => inputs.map((input, i) => ({ row: i + 1, input }));

async function* streamed(): AsyncGenerator<IntakeRow> {
  for (const r of rows()) yield r;
}

describe('SMS intake', () => {
  it('gives the same verdicts and summary for an array, a plain iterable and an async stream', async () => {
    await waitForReady(ctx.redis);
    const sms = createSmsServices(ctx);
    await sms.consent.optIn(['+14152000001', '+14152000002', '+14152000003', '+14152000004', '+14152000005']);

    const sources: [string, () => Iterable<IntakeRow> | AsyncIterable<IntakeRow>][] = [
      ['array', rows],
      ['set', () => new Set(rows())],
      ['async stream', streamed],
    ];
    const results = [];
    for (const [name, source] of sources) {
      const verdicts: RowVerdict[] = [];
      const progress: number[] = [];
      // Chunks of 3: the seven rows cross two chunk boundaries and end on a partial chunk.
      const summary = await sms.intake.submit(source(), {
        batchId: `b-${name.replace(' ', '-')}`,
        defaults: { from: 'ACME', campaignId: 'c1' },
        // The same messages go out three times on purpose: the duplicate window stays out of it.
        allowRepeat: true,
        chunkSize: 3,
        onRow: (v) => verdicts.push(v),
        onProgress: (n) => void progress.push(n),
      });
      results.push({ summary: { ...summary, batchId: '' }, verdicts: verdicts.map((v) => ({ ...v, messageId: v.messageId?.replace(/^b-[^.]+/, '') })), progress });
    }

    expect(results[0]!.verdicts.map((v) => [v.row, v.valid])).toEqual([
      [1, true],
      [2, false],
      [3, true],
      [4, false],
      [5, false],
      [6, true],
      [7, true],
    ]);
    expect(results[0]!.summary).toMatchObject({ total: 7, accepted: 4, rejected: 3 });
    expect(results[0]!.progress).toEqual([3, 6, 7]);
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
    // Every accepted message of the three runs waits in exactly one send job.
    const waiting = await waitingMessages(ctx.queues.get('smsSend'));
    expect(waiting).toHaveLength(12);
    expect(new Set(waiting).size).toBe(12);
  });
});

describe('the duplicate window', () => {
  const withEnv = (env: Record<string, string>) =>
    createProducerContext(loadConfig({ ...REDIS_ENV, FLEET_PREFIX: prefix, ...env }), { role: 'test', logger: createLogger({ level: 'silent' }) });
  const msgs = (n: number, text = 'window test') => Array.from({ length: n }, (_, i) => ({ row: i + 1, input: { to: `+1415${2_300_000 + i}`, text } }));
  const defaults = { from: 'ACME', campaignId: 'c1' };

  it('refuses per row a message accepted in another batch, naming it; counts them under one reason; not a row against itself', async () => {
    const sms = createSmsServices(ctx);
    await sms.consent.optIn(msgs(4).map((m) => m.input.to));
    expect(await sms.intake.submit(msgs(3), { batchId: 'w-a', defaults })).toMatchObject({ accepted: 3, rejected: 0 });
    // The same batch again (a resume) is not a duplicate of itself.
    expect(await sms.intake.submit(msgs(3), { batchId: 'w-a', defaults })).toMatchObject({ accepted: 0, resumed: 3, rejected: 0 });

    const verdicts: RowVerdict[] = [];
    const rows = [...msgs(4), { row: 5, input: { to: '+14152300000', text: 'window test' } }, { row: 6, input: { to: '+14152300000', text: 'other text' } }];
    const b = await sms.intake.submit(rows, { batchId: 'w-b', defaults, onRow: (v) => verdicts.push(v) });
    expect(b).toMatchObject({ accepted: 2, rejected: 4, rejectedByReason: { 'to: duplicate within the duplicate window': 4 } });
    expect(verdicts.map((v) => [v.row, v.valid, v.reason?.replace(/ \(.*/, '')])).toEqual([
      [1, false, 'to: duplicate of w-a/1'],
      [2, false, 'to: duplicate of w-a/2'],
      [3, false, 'to: duplicate of w-a/3'],
      [4, true, undefined],
      [5, false, 'to: duplicate of w-a/1'],
      [6, true, undefined],
    ]);
    expect((await sms.store.getBatch('w-b'))!.rejectedByReason).toEqual({ 'to: duplicate within the duplicate window': 4 });
    // A dry run reports the same, and claims nothing.
    const dry: RowVerdict[] = [];
    await sms.intake.submit([{ row: 1, input: { to: '+14152300003', text: 'window test' } }], { batchId: 'w-dry', defaults, dryRun: true, onRow: (v) => dry.push(v) });
    expect(dry[0]!.reason).toMatch(/^to: duplicate of w-b\/4 /);

    // allowRepeat turns it off for one batch; the next batch is guarded again.
    expect(await sms.intake.submit(msgs(2), { batchId: 'w-c', defaults, allowRepeat: true })).toMatchObject({ accepted: 2, rejected: 0 });
    expect(await sms.intake.submit(msgs(2), { batchId: 'w-d', defaults })).toMatchObject({ accepted: 0, rejected: 2 });
  });

  it('lets exactly one of two producers racing on the same messages have each one', async () => {
    const [p1, p2] = [withEnv({}), withEnv({})];
    try {
      await Promise.all([waitForReady(p1.redis), waitForReady(p2.redis)]);
      const [s1, s2] = [createSmsServices(p1), createSmsServices(p2)];
      const rows = Array.from({ length: 500 }, (_, i) => ({ row: i + 1, input: { to: `+1415${2_400_000 + i}`, text: 'race' } }));
      await s1.consent.optIn(rows.map((r) => r.input.to));
      const [a, b] = await Promise.all([
        s1.intake.submit(rows, { batchId: 'race-1', defaults, chunkSize: 50 }),
        s2.intake.submit(rows, { batchId: 'race-2', defaults, chunkSize: 50 }),
      ]);
      expect(a.accepted + b.accepted).toBe(500);
      expect(a.rejected + b.rejected).toBe(500);
    } finally {
      await Promise.all([p1.close(), p2.close()]);
    }
  });

  it('is off with SMS_DUPLICATE_WINDOW_S=0', async () => {
    const p = withEnv({ SMS_DUPLICATE_WINDOW_S: '0' });
    try {
      await waitForReady(p.redis);
      const sms = createSmsServices(p);
      expect(await sms.intake.submit(msgs(2), { batchId: 'w-off', defaults })).toMatchObject({ accepted: 2, rejected: 0 });
    } finally {
      await p.close();
    }
  });
});

describe('stored rejections', () => {
  it('keeps the first N in full and counts every one by reason; a dry run still reports every row', async () => {
    const p = createProducerContext(loadConfig({ ...REDIS_ENV, FLEET_PREFIX: prefix, SMS_MAX_STORED_REJECTIONS: '5' }), { role: 'test', logger: createLogger({ level: 'silent' }) });
    try {
      await waitForReady(p.redis);
      const sms = createSmsServices(p);
      const rows = Array.from({ length: 50 }, (_, i) => ({ row: i + 1, input: { to: `garbage-${i}`, text: 'x' } }));
      const defaults = { from: 'ACME', campaignId: 'c1' };
      for (let pass = 0; pass < 2; pass++) {
        expect(await sms.intake.submit(rows, { batchId: 'cap', defaults, chunkSize: 7 })).toMatchObject({ rejected: 50 });
      }
      expect((await sms.store.getRejections('cap', 0, -1)).map((r) => r.row)).toEqual([1, 2, 3, 4, 5]);
      // Counted once per row, however often the batch is submitted.
      expect(await sms.store.getBatch('cap')).toMatchObject({ total: 50, rejected: 50, rejectedByReason: { 'to: not a phone number': 50 } });
      const dry: RowVerdict[] = [];
      await sms.intake.submit(rows, { batchId: 'cap-dry', defaults, dryRun: true, onRow: (v) => dry.push(v) });
      expect(dry.filter((v) => v.reason === 'to: not a phone number')).toHaveLength(50);
    } finally {
      await p.close();
    }
  });
});
