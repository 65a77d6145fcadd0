// Following a batch to its end, for `sms send --wait` and `sms status --wait`: a batch is
// done when every accepted message has reached a terminal state. `unknown` is not one (it
// is reconciled, or ends `no-receipt` at the receipt deadline), so a follower waits for it;
// every message reaches a terminal state by that deadline, so every follower ends.
import { isTerminal, MESSAGE_STATES, type MessageState } from '../domain/sms/message-state.ts';
import type { BatchRecord, MessageStore } from './message-store.ts';

export function settledCount(batch: BatchRecord): number {
  return MESSAGE_STATES.filter((s) => isTerminal(s)).reduce((n, s) => n + (batch.counts[s] ?? 0), 0);
}

export function isBatchDone(batch: BatchRecord): boolean {
  return batch.accepted > 0 ? settledCount(batch) >= batch.accepted : true;
}

export interface FollowOptions {
  intervalMs?: number;
  signal?: AbortSignal;
  /** How long Redis may fail in a row before the follower gives up (default 120 s). */
  maxOutageMs?: number;
  /** Told about each failed read that will be retried. */
  onRetry?: (err: unknown) => void;
}

export async function* followBatch(store: Pick<MessageStore, 'getBatch'>, batchId: string, opts: FollowOptions = {}): AsyncGenerator<BatchRecord> {
  const interval = opts.intervalMs ?? 250;
  const maxOutageMs = opts.maxOutageMs ?? 120_000;
  let failingSince: number | undefined;
  for (;;) {
    let batch: BatchRecord | undefined;
    try {
      batch = await store.getBatch(batchId);
      failingSince = undefined;
    } catch (err) {
      // A Redis blip (restart, failover, a stalled connection) is waited out, bounded.
      failingSince ??= Date.now();
      if (Date.now() - failingSince >= maxOutageMs) throw err;
      opts.onRetry?.(err);
    }
    if (batch) {
      yield batch;
      if (isBatchDone(batch)) return;
    } else if (failingSince === undefined) {
      // No such batch (unknown id, or past its retention): nothing will ever settle.
      return;
    }
    opts.signal?.throwIfAborted();
    // A display refresh, not a state machine: the states move by themselves in Redis.
    await new Promise((r) => setTimeout(r, interval));
  }
}

export function stateLine(counts: Partial<Record<MessageState, number>>): string {
  return MESSAGE_STATES.filter((s) => counts[s]).map((s) => `${s} ${counts[s]}`).join(' · ');
}
