// Calls of one process that book the account's budget together. A booking is one Redis
// round trip, and at a few hundred calls a second it was a quarter of the CPU an SMS costs
// (docs/adr/0004-sms-cpu.md). So while a process is calling at least twice per `windowMs`,
// a call that needs a slot waits up to `windowMs` for the others that need one, and one
// booking takes a slot for each of them (GCRA slots one after another, each with its
// caller: none is booked that no call uses; those that would wait too long are refused).
// A quieter process books at once, as before; calls made in the same tick always share a
// booking. The cost is up to `windowMs` before a busy process's
// call is booked, which delays it only when the account's budget is not already booked
// further ahead than that.

export interface Booking {
  /** When each booked slot is due, in order, on the caller's clock (performance.now()). */
  dues: number[];
  /** The error for a caller past the booked slots (its slot would have been too far away). */
  refuse: () => Error;
}

export interface BookingBatchOptions {
  windowMs: number;
  /** Books up to `count` slots, one after another. */
  book: (count: number) => Promise<Booking>;
  now?: () => number;
}

export function createBookingBatcher(opts: BookingBatchOptions) {
  const now = opts.now ?? (() => performance.now());
  let open: { count: number; booked: Promise<Booking> } | undefined;
  // Calls in this and the previous second: the process's rate, which decides whether to wait.
  let second = { start: -Infinity, calls: 0, previous: 0 };
  const busy = () => Math.max(second.calls, second.previous) * opts.windowMs >= 2_000;

  return {
    /** The due time of a slot booked for this call (with any others that joined it). */
    async slot(): Promise<number> {
      const t = now();
      if (t - second.start >= 1000) second = { start: t, calls: 0, previous: t - second.start >= 2000 ? 0 : second.calls };
      second.calls++;
      if (!open) {
        const batch = { count: 0, booked: undefined as unknown as Promise<Booking> };
        batch.booked = new Promise<Booking>((resolve, reject) => {
          const flush = () => {
            if (open === batch) open = undefined;
            opts.book(batch.count).then(resolve, reject);
          };
          if (busy()) setTimeout(flush, opts.windowMs);
          else queueMicrotask(flush);
        });
        open = batch;
      }
      const index = open.count++;
      const booking = await open.booked;
      const due = booking.dues[index];
      if (due === undefined) throw booking.refuse();
      return due;
    },
  };
}
