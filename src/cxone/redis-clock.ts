// Redis's clock as seen from this process. The limiter's log holds Redis times while each
// process waits by its own clock, and a booking's answer can be read late (a busy event
// loop, a descheduled process): "wait N ms from when the answer was read" would then go out
// late without knowing it. The offset between the two clocks is estimated as NTP does, from
// the exchange with the shortest round trip (its error is at most half of it), and kept
// fresh: an estimate counts as if its round trip grew with its age, so a newer exchange
// soon replaces it and drift between the clocks is followed.

/** Round trip added to the best exchange per ms of its age: 1 ms a second. */
const AGING = 0.001;

export interface RedisClock {
  /** One exchange: asked at `askedAt`, answered at `answeredAt` (this process's ms), Redis read `redisNow`. */
  observe(askedAt: number, answeredAt: number, redisNow: number): void;
  /** A Redis time (ms) as a performance.now() time of this process. */
  toLocal(redisMs: number): number;
}

export function createRedisClock(): RedisClock {
  let offset = 0;
  let bestRtt = Infinity;
  let bestAt = 0;
  return {
    observe(askedAt, answeredAt, redisNow) {
      const rtt = answeredAt - askedAt;
      if (!Number.isFinite(redisNow) || rtt < 0) return;
      if (rtt <= bestRtt + (answeredAt - bestAt) * AGING) {
        // Redis read its clock somewhere within the exchange: its middle is the best guess.
        offset = redisNow - (askedAt + answeredAt) / 2;
        bestRtt = rtt;
        bestAt = answeredAt;
      }
    },
    toLocal(redisMs) {
      return redisMs - offset;
    },
  };
}
