// Calls of a busy process share one booking of consecutive slots; a quiet process books each
// call at once; every booked slot has its caller.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBookingBatcher } from '../../src/cxone/booking-batch.ts';

afterEach(() => {
  vi.useRealTimers();
});

function batcher() {
  let t = 0;
  const bookings: number[] = [];
  const b = createBookingBatcher({
    windowMs: 20,
    now: () => t,
    book: async (count) => {
      bookings.push(count);
      const first = 1_000 + bookings.length * 100;
      return Promise.resolve({ dues: Array.from({ length: Math.min(count, 3) }, (_, i) => first + i * 5), refuse: () => new Error('too far') });
    },
  });
  return { b, bookings, advance: (ms: number) => (t += ms) };
}

describe('booking batches', () => {
  it('books a quiet process each call at once, and calls made in one tick together', async () => {
    const { b, bookings, advance } = batcher();
    expect(await b.slot()).toBe(1_100);
    advance(500);
    expect(await b.slot()).toBe(1_200);
    advance(500);
    expect(await Promise.all([b.slot(), b.slot(), b.slot()])).toEqual([1_300, 1_305, 1_310]);
    expect(bookings).toEqual([1, 1, 3]);
  });

  it('lets a busy process wait up to the window for the calls that join it: one booking, a slot each', async () => {
    vi.useFakeTimers();
    const { b, bookings, advance } = batcher();
    // 200 calls in the last second (made together, so booked together): busy, at least
    // two calls a window.
    await Promise.allSettled(Array.from({ length: 200 }, () => b.slot()));
    advance(1_000);
    bookings.length = 0;
    const first = b.slot();
    advance(7);
    const second = b.slot();
    const third = b.slot();
    expect(bookings).toEqual([]); // the window is open
    await vi.advanceTimersByTimeAsync(20);
    expect(bookings).toEqual([3]);
    const due = await Promise.all([first, second, third]);
    expect(due[1] - due[0]).toBe(5);
    expect(due[2] - due[1]).toBe(5);
    // The next call opens a new window.
    const fourth = b.slot();
    await vi.advanceTimersByTimeAsync(20);
    await fourth;
    expect(bookings).toEqual([3, 1]);
  });

  it('refuses the callers past the slots the booking could take', async () => {
    const { b } = batcher();
    const results = await Promise.allSettled([b.slot(), b.slot(), b.slot(), b.slot()]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
  });

  it('gives every caller of a failed booking its error', async () => {
    const b = createBookingBatcher({ windowMs: 20, book: () => Promise.reject(new Error('booked too far ahead')) });
    await expect(Promise.all([b.slot(), b.slot()])).rejects.toThrow('booked too far ahead');
  });
});
