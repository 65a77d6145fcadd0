// A follower ends when every message is terminal (unknown is not), ends at once for a
// batch that does not exist, waits out failed reads for a while, and then gives up.
import { describe, expect, it } from 'vitest';
import { followBatch, isBatchDone } from '../../src/sms/follow.ts';
import type { BatchRecord } from '../../src/sms/message-store.ts';

const batch = (counts: BatchRecord['counts']): BatchRecord => ({
  batchId: 'b',
  createdAt: 0,
  total: 3,
  accepted: 3,
  rejected: 0,
  duplicates: 0,
  segments: 3,
  counts,
  rejectedByReason: {},
});

async function collect(reads: (() => BatchRecord | undefined)[], opts: { maxOutageMs?: number } = {}) {
  let i = 0;
  const retried: unknown[] = [];
  // A read that throws is a rejected promise, as a real store's is.
  const store = { getBatch: () => new Promise<BatchRecord | undefined>((resolve) => resolve(reads[Math.min(i++, reads.length - 1)]!())) };
  const seen: BatchRecord[] = [];
  for await (const b of followBatch(store, 'b', { intervalMs: 1, onRetry: (e) => retried.push(e), ...opts })) seen.push(b);
  return { seen, retried, reads: i };
}

describe('followBatch', () => {
  it('waits for unknown messages and ends when all are terminal, no-receipt included', async () => {
    expect(isBatchDone(batch({ delivered: 2, unknown: 1 }))).toBe(false);
    expect(isBatchDone(batch({ delivered: 2, 'no-receipt': 1 }))).toBe(true);
    const { seen } = await collect([() => batch({ delivered: 2, unknown: 1 }), () => batch({ delivered: 2, failed: 1 })]);
    expect(seen.map((b) => b.counts)).toEqual([{ delivered: 2, unknown: 1 }, { delivered: 2, failed: 1 }]);
  });

  it('ends at once for a batch that does not exist', async () => {
    expect(await collect([() => undefined])).toMatchObject({ seen: [], reads: 1 });
  });

  it('retries failed reads (a Redis blip) and carries on', async () => {
    const down = () => {
      throw new Error('Connection is closed.');
    };
    const { seen, retried } = await collect([down, down, () => batch({ delivered: 3 })]);
    expect(retried).toHaveLength(2);
    expect(seen).toHaveLength(1);
  });

  it('gives up when Redis stays down past the bound', async () => {
    const down = () => {
      throw new Error('Connection is closed.');
    };
    await expect(collect([down], { maxOutageMs: 20 })).rejects.toThrow('Connection is closed.');
  });
});
