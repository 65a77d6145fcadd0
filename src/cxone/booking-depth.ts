// How many of this process's calls may hold a booking in the account's schedule at once.
//
// Every call in flight books its time when it starts, so without a bound the schedule runs
// as far ahead as the fleet has jobs in flight: processes × concurrency calls, a quarter of
// a second at 4 × 32 and 500/s. That depth is what a stall costs: a process stalled past
// its times gives them back, and the room they leave in the log is only taken up by
// bookings whose window still holds it. The further ahead the schedule's end, the less of
// that room it reaches in time (a synthetic run with stalls every 50 ms kept 0.978 of the
// limit with 16 callers in flight and 0.957 with 128). So each process lets only as many
// of its calls book as keeps the schedule about `horizonMs` ahead; the rest wait here, in
// order, without a round trip. Each process steers by the wait its own bookings were told,
// which is the same fleet-wide depth every process sees, so the fleet settles near the
// horizon whatever the number of processes.

export interface BookingDepthOptions {
  /** How far ahead of now the schedule should end, in ms. */
  horizonMs: number;
  /** Bookings held at first, and never fewer: a process always gets to book. */
  min?: number;
  max?: number;
}

export interface BookingDepth {
  /**
   * Waits for a turn to book; the function it resolves with ends the turn. Undefined when
   * no turn came within `maxWaitMs`: the call had better go back to its queue than hold a
   * worker here.
   */
  enter(maxWaitMs: number, signal?: AbortSignal): Promise<(() => void) | undefined>;
  /** How far ahead of now a booking of this process landed, in ms. */
  observe(aheadMs: number): void;
  /** Bookings this process may hold now. */
  readonly limit: number;
  /** Calls waiting for a turn. */
  readonly waiting: number;
}

export function createBookingDepth(opts: BookingDepthOptions): BookingDepth {
  const min = Math.max(1, opts.min ?? 2);
  const max = Math.max(min, opts.max ?? 256);
  let limit = min;
  let held = 0;
  const queue: Array<{ start: () => void }> = [];
  const leave = (entry: { start: () => void }) => {
    const at = queue.indexOf(entry);
    if (at >= 0) queue.splice(at, 1);
  };

  function admit() {
    while (held < limit && queue.length > 0) {
      held++;
      queue.shift()!.start();
    }
  }

  function turnEnder() {
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      held--;
      admit();
    };
  }

  return {
    enter(maxWaitMs, signal) {
      // A signal is the caller's business once it has its turn (the limiter's wait heeds
      // it); here it only matters to a call that would wait.
      if (held < limit && queue.length === 0) {
        held++;
        return Promise.resolve(turnEnder());
      }
      if (signal?.aborted) return Promise.reject(signal.reason as Error);
      if (maxWaitMs <= 0) return Promise.resolve(undefined);
      return new Promise((resolve, reject) => {
        const entry = {
          start: () => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            resolve(turnEnder());
          },
        };
        const onAbort = () => {
          clearTimeout(timer);
          leave(entry);
          reject(signal!.reason);
        };
        const timer = setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          leave(entry);
          resolve(undefined);
        }, maxWaitMs);
        signal?.addEventListener('abort', onAbort, { once: true });
        queue.push(entry);
      });
    },
    observe(aheadMs) {
      // One step per booking either way: the schedule's depth moves by one booking per
      // booking too, so the steps neither lag it much nor overshoot it by much. Growing
      // only while calls wait keeps an idle process from banking turns it would spend all
      // at once when a batch arrives.
      if (aheadMs > opts.horizonMs) limit = Math.max(min, limit - 1);
      else if (aheadMs < opts.horizonMs / 2 && queue.length > 0) {
        limit = Math.min(max, limit + 1);
        admit();
      }
    },
    get limit() {
      return limit;
    },
    get waiting() {
      return queue.length;
    },
  };
}
