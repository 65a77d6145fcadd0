// Following a batch to its end, for `sms send --wait` and `sms status`: a batch is done
// when every accepted message has reached a terminal state.
import { isTerminal, MESSAGE_STATES, type MessageState } from '../domain/sms/message-state.ts';
import type { BatchRecord, MessageStore } from './message-store.ts';

export function settledCount(batch: BatchRecord): number {
  return MESSAGE_STATES.filter((s) => isTerminal(s)).reduce((n, s) => n + (batch.counts[s] ?? 0), 0);
}

export function isBatchDone(batch: BatchRecord): boolean {
  return batch.accepted > 0 ? settledCount(batch) >= batch.accepted : true;
}

export async function* followBatch(
  store: MessageStore,
  batchId: string,
  opts: { intervalMs?: number; signal?: AbortSignal } = {},
): AsyncGenerator<BatchRecord> {
  const interval = opts.intervalMs ?? 250;
  for (;;) {
    const batch = await store.getBatch(batchId);
    if (batch) {
      yield batch;
      if (isBatchDone(batch)) return;
    }
    opts.signal?.throwIfAborted();
    // A display refresh, not a state machine: the states move by themselves in Redis.
    await new Promise((r) => setTimeout(r, interval));
  }
}

export function stateLine(counts: Partial<Record<MessageState, number>>): string {
  return MESSAGE_STATES.filter((s) => counts[s]).map((s) => `${s} ${counts[s]}`).join(' · ');
}
