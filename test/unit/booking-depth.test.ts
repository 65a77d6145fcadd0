import { describe, expect, it, vi } from 'vitest';
import { createBookingDepth } from '../../src/cxone/booking-depth.ts';

/** Lets every settled promise's callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

const WAIT = 60_000;

function track(p: Promise<(() => void) | undefined>) {
  const state: { end?: () => void; timedOut?: boolean; error?: unknown } = {};
  p.then(
    (end) => (end ? (state.end = end) : (state.timedOut = true)),
    (error: unknown) => (state.error = error),
  );
  return state;
}

describe('booking depth', () => {
  it('lets `min` calls book at once and the rest wait, in order, for a turn to end', async () => {
    const depth = createBookingDepth({ horizonMs: 40, min: 2 });
    const calls = [0, 1, 2, 3].map(() => track(depth.enter(WAIT)));
    await settle();
    expect(calls.map((c) => Boolean(c.end))).toEqual([true, true, false, false]);
    expect(depth.waiting).toBe(2);

    calls[1]!.end!();
    await settle();
    expect(calls.map((c) => Boolean(c.end))).toEqual([true, true, true, false]);
    calls[1]!.end!(); // a second end of the same turn frees nothing more
    await settle();
    expect(calls[3]!.end).toBeUndefined();
    calls[0]!.end!();
    await settle();
    expect(calls[3]!.end).toBeDefined();
  });

  it('grows by one turn per booking that landed within half the horizon while calls wait', async () => {
    const depth = createBookingDepth({ horizonMs: 40, min: 1 });
    const first = track(depth.enter(WAIT));
    const second = track(depth.enter(WAIT));
    await settle();
    expect(second.end).toBeUndefined();

    depth.observe(25); // between half and the whole horizon: hold
    expect(depth.limit).toBe(1);
    depth.observe(10);
    expect(depth.limit).toBe(2);
    await settle();
    expect(second.end).toBeDefined();

    // Nobody waits now: a shallow schedule banks no turns for later.
    depth.observe(1);
    expect(depth.limit).toBe(2);
    first.end!();
    second.end!();
  });

  it('shrinks by one turn per booking past the horizon, never below min', () => {
    const depth = createBookingDepth({ horizonMs: 40, min: 2, max: 5 });
    for (let i = 0; i < 3; i++) void depth.enter(WAIT);
    for (let i = 0; i < 10; i++) depth.observe(0);
    expect(depth.limit).toBe(3); // grew while one call waited, then had nobody to admit
    depth.observe(41);
    depth.observe(500);
    depth.observe(500);
    expect(depth.limit).toBe(2);
  });

  it('stops at max however shallow the schedule', async () => {
    const depth = createBookingDepth({ horizonMs: 40, min: 1, max: 3 });
    const calls = Array.from({ length: 6 }, () => track(depth.enter(WAIT)));
    for (let i = 0; i < 10; i++) depth.observe(0);
    await settle();
    expect(depth.limit).toBe(3);
    expect(calls.filter((c) => c.end).length).toBe(3);
  });

  it('drops a waiting call whose signal aborts, with the signal reason, and keeps the order of the rest', async () => {
    const depth = createBookingDepth({ horizonMs: 40, min: 1 });
    const holder = track(depth.enter(WAIT));
    const controller = new AbortController();
    const aborted = track(depth.enter(WAIT, controller.signal));
    const next = track(depth.enter(WAIT));
    controller.abort(new Error('job cancelled'));
    await settle();
    expect((aborted.error as Error).message).toBe('job cancelled');
    expect(depth.waiting).toBe(1);

    holder.end!();
    await settle();
    expect(next.end).toBeDefined();
    expect(aborted.end).toBeUndefined();
  });

  it('gives up on a turn after the call\'s max wait, and a max wait of 0 never queues', async () => {
    // Only the max-wait timers are faked: settle() still runs on the real setImmediate.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const depth = createBookingDepth({ horizonMs: 40, min: 1 });
      const holder = track(depth.enter(WAIT));
      const patient = track(depth.enter(WAIT));
      const hasty = track(depth.enter(20));
      const now = track(depth.enter(0));
      await settle();
      expect(now.timedOut).toBe(true);
      expect(depth.waiting).toBe(2);
      vi.advanceTimersByTime(19);
      await settle();
      expect(hasty.timedOut).toBeUndefined();
      vi.advanceTimersByTime(1);
      await settle();
      expect(hasty.timedOut).toBe(true);
      expect(depth.waiting).toBe(1);
      holder.end!();
      await settle();
      expect(patient.end).toBeDefined();
      expect(patient.timedOut).toBeUndefined();
      patient.end!();
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses a call that would wait with its signal already aborted', async () => {
    const depth = createBookingDepth({ horizonMs: 40, min: 1 });
    void depth.enter(WAIT);
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await expect(depth.enter(WAIT, controller.signal)).rejects.toThrow('gone');
    expect(depth.waiting).toBe(0);
  });
});
