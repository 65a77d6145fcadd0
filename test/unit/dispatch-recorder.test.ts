// A process's chunks record their dispatches together: one write a batch a window, each
// caller told when its own is written, or that it failed.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDispatchRecorder } from '../../src/sms/dispatch-recorder.ts';
import type { TransitionItem } from '../../src/sms/message-store.ts';

afterEach(() => {
  vi.useRealTimers();
});

const item = (messageId: string): TransitionItem => ({ messageId, next: 'dispatched', fields: { cxoneId: `cx-${messageId}` } });

describe('dispatch recorder', () => {
  it('writes the dispatches of a batch made within one window in one step, and a later one in the next', async () => {
    vi.useFakeTimers();
    const writes: [string, string[]][] = [];
    const recorder = createDispatchRecorder({ transitionMany: async (batchId, items) => (writes.push([batchId, items.map((i) => i.messageId)]), []) }, 100);
    const first = [recorder.record('b1', item('m1')), recorder.record('b2', item('x1'))];
    await vi.advanceTimersByTimeAsync(50);
    first.push(recorder.record('b1', item('m2')));
    expect(writes).toEqual([]);
    await vi.advanceTimersByTimeAsync(50);
    await Promise.all(first);
    expect(writes).toEqual([
      ['b1', ['m1', 'm2']],
      ['b2', ['x1']],
    ]);
    const later = recorder.record('b1', item('m3'));
    await vi.advanceTimersByTimeAsync(100);
    await later;
    expect(writes.at(-1)).toEqual(['b1', ['m3']]);
  });

  it('tells every caller of a window that failed, and nothing is unhandled before they ask', async () => {
    vi.useFakeTimers();
    const recorder = createDispatchRecorder({ transitionMany: () => Promise.reject(new Error('Connection is closed.')) }, 100);
    const a = recorder.record('b1', item('m1'));
    const b = recorder.record('b1', item('m2'));
    await vi.advanceTimersByTimeAsync(100);
    await expect(a).rejects.toThrow('Connection is closed.');
    await expect(b).rejects.toThrow('Connection is closed.');
  });
});
