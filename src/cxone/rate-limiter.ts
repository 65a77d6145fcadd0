// The fleet-wide budget of one CXone account, kept in Redis and shared by every queue and
// every process: a log of the times the account's calls are booked to go out (a sorted
// set), which lets at most `cap` of them into any sliding second, as CXone counts. Each
// call *reserves* the next free time and waits in process until it comes, so waiters
// never stampede Redis; a reservation further away than maxWaitMs is refused, as is a call
// that waited that long for its process's turn to book, and the job goes back to its queue
// instead of holding a worker.
//
// A process that reaches its time late (a GC pause, a busy event loop, a descheduled
// process) does not send then: a late call lands in a second the log did not count it in,
// and late calls come in bunches after a stall, just when CXone's side may be stamping a
// backlog too. It gives its time back and books again. Unlike a rate-based schedule (GCRA),
// where a slot given up was budget lost for good, the log forgets the entry, so the second
// it was in has room again for the next bookings, as long as their window still holds it:
// so each process lets only a few of its calls hold a booking at once (booking-depth.ts),
// which keeps the schedule's end close to now however many calls the fleet has in flight.
import { setTimeout as delay } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { RateLimitedError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import { fleetKey, type RedisConnection } from '../redis.ts';
import { defineScript } from '../redis-script.ts';
import { BREAKER_VERDICT_LUA, type BreakerGate, type BreakerState } from './breaker.ts';
import { createBookingDepth } from './booking-depth.ts';
import { createRedisClock } from './redis-clock.ts';

/** Every count is over a sliding window of this length, as CXone's limit is per second. */
export const WINDOW_MS = 1000;

// Redis's clock, in ms with microseconds, shared by every process of the fleet.
const NOW_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
`;

// KEYS[1] the log (member: a call, score: its time in ms), KEYS[2] pause-until (ms, set
// after a 429), KEYS[3] (optional) the account's breaker hash, asked first: an open circuit
// books nothing.
// ARGV[1] cap per window, ARGV[2] window ms, ARGV[3] pacing interval ms, ARGV[4] burst,
// ARGV[5] max wait ms, ARGV[6] the call's member name, ARGV[7] lead ms, ARGV[8] the member
// this call booked before and gives back ('' if none), ARGV[9] breaker open ms (with
// KEYS[3]). Returns {wait ms (a string, to keep fractions), 1 reserved / 0 refused, breaker
// state, breaker failures, ms left of the account's pause, Redis's time (string)}; with the
// breaker open: {ms left open, 0, 'open', 0}. Nothing is booked sooner than the lead (the
// answer needs that long to reach its caller), and the lead is not counted as waiting.
//
// The new time is at or after every time in the log, so of all windows only the one
// ending at it gains a call; it is put where that window holds fewer than cap: at or after
// the cap-th latest time plus a window. Pacing keeps calls `pace` apart on average with at
// most `burst` at once (the burst-th latest time plus burst paces), so the budget is not
// spent in one burst.
const RESERVE_LUA = `
${NOW_LUA}
${BREAKER_VERDICT_LUA}
local breakerState, failures = 'closed', 0
if #KEYS >= 3 then
  local remaining
  breakerState, remaining, failures = breakerVerdict(KEYS[3], tonumber(ARGV[9]), now)
  if breakerState == 'open' then return {tostring(remaining), 0, 'open', 0} end
end
local cap, windowMs, pace, burst, maxWait = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local lead = tonumber(ARGV[7])
local horizon = math.max(windowMs, burst * pace)
if ARGV[8] ~= '' then redis.call('ZREM', KEYS[1], ARGV[8]) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. string.format('%.3f', now - horizon))
local pause = tonumber(redis.call('GET', KEYS[2]) or '0')
local slot = math.max(now + lead, pause)
local latest = redis.call('ZREVRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if latest[2] then slot = math.max(slot, tonumber(latest[2])) end
local paced = redis.call('ZREVRANGE', KEYS[1], burst - 1, burst - 1, 'WITHSCORES')
if paced[2] then slot = math.max(slot, tonumber(paced[2]) + burst * pace) end
local full = redis.call('ZREVRANGE', KEYS[1], cap - 1, cap - 1, 'WITHSCORES')
if full[2] then slot = math.max(slot, tonumber(full[2]) + windowMs) end
local wait = slot - now
local pauseLeft = tostring(math.max(0, pause - now))
if wait - lead > maxWait then
  return {tostring(wait), 0, breakerState, failures, pauseLeft, tostring(now)}
end
-- string.format, not tostring: Lua 5.1 prints numbers with %.14g, which keeps a single
-- decimal of an epoch-ms time and would shave the fractions off every time.
redis.call('ZADD', KEYS[1], string.format('%.3f', slot), ARGV[6])
redis.call('PEXPIRE', KEYS[1], math.ceil(wait + horizon + 1000))
return {tostring(wait), 1, breakerState, failures, pauseLeft, tostring(now)}
`;

// KEYS[1] pause-until; ARGV[1] pause ms. Only ever extends a pause.
const PAUSE_LUA = `
${NOW_LUA}
local untilMs = now + tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilMs > cur then
  redis.call('SET', KEYS[1], string.format('%.3f', untilMs), 'PX', math.ceil(tonumber(ARGV[1])) + 1000)
  return 1
end
return 0
`;

/**
 * Share of the account's limit kept free for what no process can see: the network, and
 * CXone stamping a burst of arrivals late. Calls that go out a little late use it too.
 */
export const JITTER_HEADROOM = 0.02;

/** Calls let into any sliding second: the limit less the headroom, at least one. */
export function windowCap(rps: number, headroom = JITTER_HEADROOM): number {
  return Math.max(1, Math.floor(rps * (1 - headroom)));
}

/**
 * For its first few seconds of sending a process books as if the headroom were this. A
 * fresh process is at its least punctual (it compiles its hot paths, opens connections,
 * grows its heap), and so is a fresh peer: in the benchmark's cold batches the simulator's
 * event loop stalled for 20-100 ms in its first 1.5 s and stamped up to 20 more calls into
 * a second than the log held, twice the 2% headroom at 500/s; those were a cold fleet's
 * 429s. While a process of the fleet is cold the account gets up to 3% less; one that
 * joins a warm fleet costs that for its first seconds.
 */
export const COLD_START_HEADROOM = 0.05;

/** How long a process counts as cold, from its first booking. */
export const COLD_START_MS = 5_000;

/**
 * How much faster than the limit calls may follow one another for a while. A time given
 * back leaves room in the log, but every new time is put after all logged ones, so the
 * schedule takes the room up only as fast as pacing lets it run ahead of the budget: each
 * booking can come (1 + slack) times sooner than the budget's spacing. At 10% a stall of a
 * few ms every 50 ms freed room faster than it was taken up (0.945 of the limit in a
 * synthetic run against 0.964 at 30%); the cap per second holds either way.
 */
export const PACE_SLACK = 0.3;

/** The least spacing of the account's calls: how pacing spreads a backlog out. */
export function pacingIntervalMs(rps: number): number {
  return 1000 / (rps * (1 + PACE_SLACK));
}

/**
 * How late a process may reach its booked time and still send. A call sent L ms after its
 * logged time can add to windows the log does not see: at most rate × L calls to one
 * second, taken from the headroom. Later than this it books again, which costs the call a
 * round trip and a place at the back, and the account nothing.
 */
export const LATE_TOLERANCE_MS = 2;

/**
 * How far ahead of now an entry is booked at the soonest: time for the answer to reach its
 * caller, who would otherwise be late from the start.
 */
export const LEAD_MS = 2;

/**
 * How far ahead of now the account's schedule should end (see booking-depth.ts): deep
 * enough that a booking's answer is read well before its time, shallow enough that room a
 * stalled process gives back is still in the window the next bookings fill.
 */
export const BOOKING_HORIZON_MS = 40;

/**
 * After this many late arrivals in a row the call goes anyway: it must not starve, nor be
 * sent back to its queue where lateness costs nothing (a limit far above the traffic).
 * Lateness comes in runs (a starved process stays starved for tens of ms; a call late
 * twice was late a third time 65% of the time), and a call that goes anyway goes late into
 * a second the log had already filled. At 3, 160-220 calls of a 4-worker run went out
 * 2-60 ms late and the simulator's count of a second ran up to 27 above what the limiter
 * let out in it; at 8, 18 went out late and the count ran at most 5 above.
 */
const MAX_REBOOKINGS = 8;

export interface RateLimiterOptions {
  redis: RedisConnection;
  prefix: string;
  accountId: string;
  rps: number;
  burst: number;
  maxWaitMs: number;
  metrics?: Metrics;
  /** How far ahead the schedule should end, in ms; BOOKING_HORIZON_MS unless a test says. */
  bookingHorizonMs?: number;
  /** How long this process books with the cold headroom; COLD_START_MS unless a test says. */
  coldStartMs?: number;
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

const reserveScript = defineScript<[string, number, BreakerState, number, string?, string?]>('cxfReserve', 'varying', RESERVE_LUA);
const pauseScript = defineScript<number>('cxfPause', 1, PAUSE_LUA);

export function limiterKeys(prefix: string, accountId: string) {
  return { log: fleetKey(prefix, 'limiter', accountId, 'log'), pause: fleetKey(prefix, 'limiter', accountId, 'pause') };
}

export function createRateLimiter(opts: RateLimiterOptions): RateLimiter {
  const { redis } = opts;
  const keys = limiterKeys(opts.prefix, opts.accountId);
  const cap = windowCap(opts.rps);
  const coldCap = windowCap(opts.rps, COLD_START_HEADROOM);
  const coldStartMs = opts.coldStartMs ?? COLD_START_MS;
  let firstBookingAt: number | undefined;
  const capNow = () => {
    const now = performance.now();
    firstBookingAt ??= now;
    return now - firstBookingAt < coldStartMs ? coldCap : cap;
  };
  const pace = pacingIntervalMs(opts.rps);
  const burst = Math.max(1, Math.min(Math.floor(opts.burst), coldCap));
  const clock = createRedisClock();
  // How many of this process's calls hold a booking at once; a process may always book its
  // burst at once, as that is what the burst is for.
  const depth = createBookingDepth({ horizonMs: opts.bookingHorizonMs ?? BOOKING_HORIZON_MS, min: Math.max(2, burst) });
  // How far ahead this process's last booking landed: when a turn should be free again.
  let lastWaitMs = 0;
  // Names this process's entries in the log; a counter tells its calls apart.
  const processTag = randomBytes(6).toString('hex');
  let calls = 0;
  // When the account is paused (a 429), as this process last heard: from its own 429 or
  // from any booking's answer. Slots booked before a pause would otherwise all go out into
  // it, and each would earn a 429 of its own; with bookings every few ms, a process hears
  // of another's pause within a slot or two, at no extra round trip.
  let pausedUntil = 0;
  const heardPause = (leftMs: number) => {
    if (leftMs > 0) pausedUntil = Math.max(pausedUntil, performance.now() + leftMs);
  };

  /** Waits until `dueAt` (performance.now() time); how late it got there, in ms. */
  async function waitUntil(dueAt: number, signal?: AbortSignal): Promise<number> {
    // Timers work in whole milliseconds against a cached loop clock and can fire early; a
    // call sent before its time would crowd the second before, so wait out the rest.
    for (let left = dueAt - performance.now(); left >= 1; left = dueAt - performance.now()) await delay(left, undefined, { signal });
    const pauseLeftMs = pausedUntil - performance.now();
    if (pauseLeftMs > 0) {
      // Booked before the pause began: going out now would only collect another 429.
      throw new RateLimitedError(`account ${opts.accountId} is paused after a 429`, Math.ceil(pauseLeftMs), {
        details: { accountId: opts.accountId, source: 'pause' },
      });
    }
    return performance.now() - dueAt;
  }

  return {
    async acquire(signal, breaker) {
      // The turn is held until the call's time comes, rebookings included.
      const endTurn = await depth.enter(opts.maxWaitMs, signal);
      if (!endTurn) {
        // A turn ends when its call's time comes: at the latest as far ahead as the last booking.
        throw new RateLimitedError(`account ${opts.accountId}: ${depth.waiting} calls of this process wait for a turn to book`, Math.max(1, Math.ceil(lastWaitMs)), {
          details: { accountId: opts.accountId, source: 'limiter' },
        });
      }
      try {
        return await bookAndWait(signal, breaker);
      } finally {
        endTurn();
      }
    },
    async pauseFor(ms) {
      heardPause(ms);
      await pauseScript.run(redis, [keys.pause], [Math.max(1, Math.ceil(ms))]);
    },
  };

  async function bookAndWait(signal: AbortSignal | undefined, breaker: BreakerGate | undefined): Promise<boolean> {
    let mustRecordSuccess = false;
    let givenBack = '';
    for (let rebooked = 0; ; rebooked++) {
      // The breaker is asked with the first booking only; a rebooking is the same call.
      const gate = rebooked === 0 ? breaker : undefined;
      const member = `${processTag}:${++calls}`;
      const askedAt = performance.now();
      const [waitText, reserved, breakerState, failures, pauseLeft, redisNowText] = await reserveScript.run(
        redis,
        gate ? [keys.log, keys.pause, gate.key] : [keys.log, keys.pause],
        [capNow(), WINDOW_MS, pace, burst, opts.maxWaitMs, member, LEAD_MS, givenBack, ...(gate ? [gate.openMs] : [])],
      );
      const redisNow = Number(redisNowText);
      clock.observe(askedAt, performance.now(), redisNow);
      heardPause(Number(pauseLeft ?? 0));
      if (gate) mustRecordSuccess = gate.verdict(breakerState, Number(waitText), failures);
      const waitMs = Math.max(0, Number(waitText));
      if (reserved !== 1) {
        throw new RateLimitedError(`account ${opts.accountId} budget is booked for ${Math.round(waitMs)} ms`, Math.ceil(waitMs), {
          details: { accountId: opts.accountId, source: 'limiter' },
        });
      }
      depth.observe(waitMs);
      opts.metrics?.limiterBookingTurns.set({ account: opts.accountId }, depth.limit);
      lastWaitMs = waitMs;
      opts.metrics?.limiterWaitSeconds.observe({ account: opts.accountId }, waitMs / 1000);
      const lateMs = await waitUntil(clock.toLocal(redisNow + waitMs), signal);
      opts.metrics?.limiterLatenessSeconds.observe({ account: opts.accountId }, Math.max(0, lateMs) / 1000);
      if (lateMs <= LATE_TOLERANCE_MS || rebooked >= MAX_REBOOKINGS) return mustRecordSuccess;
      opts.metrics?.limiterMissedSlots.inc({ account: opts.accountId });
      givenBack = member;
    }
  }
}
