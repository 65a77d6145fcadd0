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
import { REDIS_URL, testPrefix } from '../helpers/redis.ts';

const prefix = testPrefix('intake');
const ctx = createProducerContext(loadConfig({ REDIS_URL, FLEET_PREFIX: prefix }), { role: 'test', logger: createLogger({ level: 'silent' }) });
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
    expect(await ctx.queues.get('smsSend').getJobCountByTypes('waiting', 'prioritized')).toBe(12);
  });
});
