// The fleet-wide budget of one CXone account: GCRA in one atomic Redis script, shared by
// every queue and every process. Each call *reserves* the next free slot and waits in
// process until it comes, so waiters never stampede Redis; a reservation further away
// than maxWaitMs is refused and the job goes back to its queue instead of holding a worker.
import { setTimeout as delay } from 'node:timers/promises';
import { RateLimitedError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import { fleetKey, type RedisConnection } from '../redis.ts';
import { defineScript } from '../redis-script.ts';
import { BREAKER_VERDICT_LUA, type BreakerGate, type BreakerState } from './breaker.ts';

// KEYS[1] theoretical arrival time (ms), KEYS[2] pause-until (ms, set after a 429),
// KEYS[3] (optional) the account's breaker hash, asked first: an open circuit books nothing.
// ARGV[1] emission interval ms, ARGV[2] burst tolerance ms, ARGV[3] max wait ms,
// ARGV[4] breaker open ms (with KEYS[3]).
// Returns {wait ms (a string, to keep fractions), 1 reserved / 0 refused, breaker state,
// breaker failures, ms left of the account's pause}; with the breaker open:
// {ms left open, 0, 'open', 0}.
const RESERVE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
${BREAKER_VERDICT_LUA}
local breakerState, failures = 'closed', 0
if #KEYS >= 3 then
  local remaining
  breakerState, remaining, failures = breakerVerdict(KEYS[3], tonumber(ARGV[4]), now)
  if breakerState == 'open' then return {tostring(remaining), 0, 'open', 0} end
end
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local maxWait = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local pause = tonumber(redis.call('GET', KEYS[2]) or '0')
local slot = math.max(now, tat - tolerance, pause)
local wait = slot - now
local pauseLeft = tostring(math.max(0, pause - now))
if wait > maxWait then
  return {tostring(wait), 0, breakerState, failures, pauseLeft}
end
local newTat = math.max(tat, slot) + interval
-- string.format, not tostring: Lua 5.1 prints numbers with %.14g, which keeps a single
-- decimal of an epoch-ms time and would shave the interval's fraction off every slot.
redis.call('SET', KEYS[1], string.format('%.3f', newTat), 'PX', math.ceil(newTat - now + tolerance + 1000))
return {tostring(wait), 1, breakerState, failures, pauseLeft}
`;

// KEYS[1] pause-until; ARGV[1] pause ms. Only ever extends a pause.
const PAUSE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local untilMs = now + tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilMs > cur then
  redis.call('SET', KEYS[1], string.format('%.3f', untilMs), 'PX', math.ceil(tonumber(ARGV[1])) + 1000)
  return 1
end
return 0
`;

/**
 * GCRA lets at most `rate + burst` requests into any sliding second, so the emission rate
 * is set to keep that at or under the account's limit, with a little headroom for the
 * jitter between leaving here and arriving at CXone.
 */
export const JITTER_HEADROOM = 0.02;
export function emissionIntervalMs(rps: number, burst: number): number {
  const rate = Math.max(rps - burst, rps * 0.5) * (1 - JITTER_HEADROOM);
  return 1000 / rate;
}

/**
 * How late a process may reach its slot and still use it. A request sent L ms late can land
 * in the next sliding second, adding at most rate × L requests to any one second. The
 * headroom left under the limit (after rate + burst) must also absorb what no process can
 * see: the network, and CXone stamping a burst of arrivals late. A quarter of it goes to
 * lateness (about 5 ms), the rest to that jitter: with half of it, a demo whose simulator
 * shares two busy cores with the fleet saw 18 to 19 429s a run instead of none. Giving up
 * a slot loses it for good (GCRA has moved on), so this is a trade: at 500 req/s, 4 busy
 * workers gave up about one slot in 15 at 3 ms, one in 40 at 5 ms. Never less than one
 * interval: a lone late request is one extra at most.
 */
export function lateToleranceMs(rps: number, burst: number): number {
  const interval = emissionIntervalMs(rps, burst);
  const rate = 1000 / interval;
  const spare = Math.max(0, rps - rate - burst);
  return Math.max(3, interval, (spare / (4 * rate)) * 1000);
}

/** After this many missed slots in a row the call goes anyway: it must not starve. */
const MAX_REBOOKINGS = 3;

export interface RateLimiterOptions {
  redis: RedisConnection;
  prefix: string;
  accountId: string;
  rps: number;
  burst: number;
  maxWaitMs: number;
  metrics?: Metrics;
}

export interface RateLimiter {
  /**
   * Resolves when this call may go out; throws RateLimitedError if the wait is too long.
   * With a breaker gate the breaker is asked in the same round trip (an open circuit throws
   * its own RateLimitedError), and the result is the gate's verdict: whether the call's
   * success must be recorded. Without one it is false.
   */
  acquire(signal?: AbortSignal, breaker?: BreakerGate): Promise<boolean>;
  /** Holds every process of the account until `ms` from now (after a 429). */
  pauseFor(ms: number): Promise<void>;
}

const reserveScript = defineScript<[string, number, BreakerState, number, string?]>('cxfReserve', 'varying', RESERVE_LUA);
const pauseScript = defineScript<number>('cxfPause', 1, PAUSE_LUA);

export function limiterKeys(prefix: string, accountId: string) {
  return { tat: fleetKey(prefix, 'limiter', accountId, 'tat'), pause: fleetKey(prefix, 'limiter', accountId, 'pause') };
}

export function createRateLimiter(opts: RateLimiterOptions): RateLimiter {
  const { redis } = opts;
  const keys = limiterKeys(opts.prefix, opts.accountId);
  const interval = emissionIntervalMs(opts.rps, opts.burst);
  const tolerance = interval * (opts.burst - 1);
  const lateMsAllowed = lateToleranceMs(opts.rps, opts.burst);
  // When the account is paused (a 429), as this process last heard: from its own 429 or
  // from any booking's answer. Slots booked before a pause would otherwise all go out into
  // it, and each would earn a 429 of its own; with bookings every few ms, a process hears
  // of another's pause within a slot or two, at no extra round trip.
  let pausedUntil = 0;
  const heardPause = (leftMs: number) => {
    if (leftMs > 0) pausedUntil = Math.max(pausedUntil, performance.now() + leftMs);
  };

  return {
    async acquire(signal, breaker) {
      // A process descheduled past its slot would send several slots' worth at once; a slot
      // missed by more than the tolerance is given up and a fresh one booked, so lateness
      // never bunches more requests into a second than the headroom allows.
      let mustRecordSuccess = false;
      for (let rebooked = 0; ; rebooked++) {
        // The breaker is asked with the first booking only; a rebooking is the same call.
        const gate = rebooked === 0 ? breaker : undefined;
        const [waitText, reserved, breakerState, failures, pauseLeft] = await reserveScript.run(
          redis,
          gate ? [keys.tat, keys.pause, gate.key] : [keys.tat, keys.pause],
          gate ? [interval, tolerance, opts.maxWaitMs, gate.openMs] : [interval, tolerance, opts.maxWaitMs],
        );
        const bookedAt = performance.now();
        heardPause(Number(pauseLeft ?? 0));
        if (gate) mustRecordSuccess = gate.verdict(breakerState, Number(waitText), failures);
        const waitMs = Math.max(0, Number(waitText));
        if (reserved !== 1) {
          throw new RateLimitedError(`account ${opts.accountId} budget is booked for ${Math.round(waitMs)} ms`, Math.ceil(waitMs), {
            details: { accountId: opts.accountId, source: 'limiter' },
          });
        }
        opts.metrics?.limiterWaitSeconds.observe({ account: opts.accountId }, waitMs / 1000);
        // Timers work in whole milliseconds against a cached loop clock and can fire early;
        // a request sent before its slot would crowd the next second, so wait out the rest.
        const dueAt = bookedAt + waitMs;
        for (let left = waitMs; left >= 1; left = dueAt - performance.now()) await delay(left, undefined, { signal });
        const pauseLeftMs = pausedUntil - performance.now();
        if (pauseLeftMs > 0) {
          // Booked before the pause began: going out now would only collect another 429.
          throw new RateLimitedError(`account ${opts.accountId} is paused after a 429`, Math.ceil(pauseLeftMs), {
            details: { accountId: opts.accountId, source: 'pause' },
          });
        }
        const lateMs = performance.now() - dueAt;
        opts.metrics?.limiterLatenessSeconds.observe({ account: opts.accountId }, Math.max(0, lateMs) / 1000);
        if (lateMs <= lateMsAllowed || rebooked >= MAX_REBOOKINGS) return mustRecordSuccess;
        opts.metrics?.limiterMissedSlots.inc({ account: opts.accountId });
      }
    },
    async pauseFor(ms) {
      heardPause(ms);
      await pauseScript.run(redis, [keys.pause], [Math.max(1, Math.ceil(ms))]);
    },
  };
}
