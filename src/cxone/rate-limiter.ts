// The fleet-wide budget of one CXone account (docs/adr/0001-limiter.md): GCRA in one Redis
// script, shared by every queue and process. A call reserves the next slot and waits for it
// in process (waiters never poll Redis); a slot beyond maxWaitMs is refused and the job goes
// back to its queue. A 429 pauses the whole account (its Retry-After, or a backoff with full
// jitter); every process hears it on pub/sub and in every booking's answer.
import { setTimeout as delay } from 'node:timers/promises';
import { RateLimitedError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import { fleetKey, type RedisConnection } from '../redis.ts';
import { defineScript } from '../redis-script.ts';
import { createBookingBatcher } from './booking-batch.ts';

// Redis's clock (one for every process), and the rate now: the configured one, or the
// adaptive one (AIMD: a 429 cuts it, then it climbs by `step` rps a second up to the
// ceiling). ARGV[1] rps (the ceiling when adaptive), [2] '1' adaptive, [3] climb (share of
// the rate a second), [4] starting rps; KEYS[3] the adaptive state {rate, at, step}.
const NOW_RATE_LUA = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local function currentRate()
  local rate = tonumber(ARGV[1])
  if ARGV[2] ~= '1' then return rate end
  local s = redis.call('HMGET', KEYS[3], 'rate', 'at', 'step')
  if not s[1] then
    s = {ARGV[4], now, tonumber(ARGV[4]) * tonumber(ARGV[3])}
    redis.call('HSET', KEYS[3], 'rate', s[1], 'at', s[2], 'step', s[3])
    redis.call('PEXPIRE', KEYS[3], 86400000)
  end
  return math.min(rate, tonumber(s[1]) + tonumber(s[3]) * (now - tonumber(s[2])) / 1000)
end`;

// KEYS[1] theoretical arrival time (ms), [2] pause-until (ms). ARGV[5] least interval ms
// (the per-minute and per-hour budgets), [6] burst, [7] max wait ms (a slot further away is
// not booked), [8] how many calls want a slot. Books the slots one after another, as many
// as fit in the max wait. Returns {ms left of the pause, rate, wait ms of the first slot not
// booked, then the wait ms of each booked slot} as strings (Redis would truncate Lua
// numbers to integers).
const RESERVE_LUA = `${NOW_RATE_LUA}
local rate = currentRate()
local interval = math.max(1000 / rate, tonumber(ARGV[5]))
local tolerance = (tonumber(ARGV[6]) - 1) * interval
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local pause = tonumber(redis.call('GET', KEYS[2]) or '0')
local out = {tostring(math.max(0, pause - now)), tostring(rate), ''}
local booked = tat
for i = 1, tonumber(ARGV[8]) do
  local slot = math.max(now, booked - tolerance, pause)
  if slot - now > tonumber(ARGV[7]) then out[3] = tostring(slot - now) break end
  booked = math.max(booked, slot) + interval
  out[#out + 1] = tostring(slot - now)
end
if booked > tat then
  -- string.format: Lua's tostring keeps one decimal of an epoch-ms time.
  redis.call('SET', KEYS[1], string.format('%.3f', booked), 'PX', math.ceil(booked - now + tolerance + 1000))
end
return out
`;

// After a 429; returns the ms left of the pause. KEYS[4] backoff exponent. ARGV[5]
// Retry-After ms ('' if none), [6] backoff base ms, [7] cap ms, [8] quiet ms (the exponent
// resets after that long without a 429), [9] random in [0, 1), [10] adaptive decrease, [11]
// channel. A 429 during a pause answers a call sent before it: it may lengthen the pause to
// its Retry-After, but neither backs off further nor cuts the rate.
const PAUSE_LUA = `${NOW_RATE_LUA}
local pause = tonumber(redis.call('GET', KEYS[2]) or '0')
local retryAfter = tonumber(ARGV[5])
if pause > now and (retryAfter == nil or now + retryAfter <= pause) then return tostring(pause - now) end
local ms = retryAfter
if pause <= now then
  if ms == nil then
    local n = redis.call('INCR', KEYS[4])
    ms = math.min(tonumber(ARGV[7]), tonumber(ARGV[6]) * 2 ^ (n - 1)) * tonumber(ARGV[9])
    redis.call('PEXPIRE', KEYS[4], math.ceil(ms + tonumber(ARGV[8])))
  end
  if ARGV[2] == '1' then
    local rate = currentRate()
    redis.call('HSET', KEYS[3], 'rate', math.max(0.1, rate * (1 - tonumber(ARGV[10]))), 'at', now, 'step', rate * tonumber(ARGV[3]))
  end
end
redis.call('SET', KEYS[2], string.format('%.3f', now + ms), 'PX', math.ceil(ms) + 1000)
redis.call('PUBLISH', ARGV[11], tostring(ms))
return tostring(ms)
`;

export interface RateLimiterOptions {
  redis: RedisConnection;
  prefix: string;
  accountId: string;
  /** Calls a second, already less the headroom; the ceiling when adaptive. */
  rps: number;
  /** Calls that may go at once after a quiet spell; 1 spaces every call evenly. */
  burst: number;
  /** Per-minute and per-hour budgets as the least spacing of calls, ms (0: none). */
  minIntervalMs: number;
  maxWaitMs: number;
  /** How late a call may reach its slot and still go; later, it books a fresh one. */
  lateMs: number;
  adaptive?: { startRps: number; decrease: number; climb: number };
  backoff: { baseMs: number; capMs: number; quietMs: number };
  metrics?: Metrics;
}

const MAX_REBOOKINGS = 3; // then a call goes anyway: it must not starve
// How long a busy process's call waits for others to book with (booking-batch.ts).
const BATCH_WINDOW_MS = 50;
const reserveScript = defineScript<string[]>('cxfReserve2', 3, RESERVE_LUA);
const pauseScript = defineScript<string>('cxfPause', 4, PAUSE_LUA);

export function limiterKeys(prefix: string, accountId: string) {
  const key = (part: string) => fleetKey(prefix, 'limiter', accountId, part);
  return { tat: key('tat'), pause: key('pause'), adaptive: key('adaptive'), backoff: key('backoff'), channel: key('paused') };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;

export function createRateLimiter(opts: RateLimiterOptions) {
  const { redis, accountId, lateMs, maxWaitMs, metrics } = opts;
  const keys = limiterKeys(opts.prefix, accountId);
  const keyList = [keys.tat, keys.pause, keys.adaptive];
  const rateArgs = [opts.rps, opts.adaptive ? '1' : '0', opts.adaptive?.climb ?? 0, Math.min(opts.rps, opts.adaptive?.startRps ?? opts.rps)];
  const reserveArgs = [...rateArgs, opts.minIntervalMs, opts.burst, maxWaitMs];
  const labels = { account: accountId };
  let lastRate = ''; // the gauge is set only when the rate changes
  // When the account is paused, as this process last heard (its 429, a booking, the channel).
  let pausedUntil = 0;
  const heardPause = (leftMs: number) => {
    if (leftMs > 0) pausedUntil = Math.max(pausedUntil, performance.now() + leftMs);
  };
  // Books a slot for each of this process's calls that came together.
  const bookings = createBookingBatcher({
    windowMs: BATCH_WINDOW_MS,
    book: async (count) => {
      const [pauseLeft, rate, refusedWait, ...waits] = await reserveScript.run(redis, keyList, [...reserveArgs, count]);
      heardPause(Number(pauseLeft));
      if (rate !== undefined && rate !== lastRate) metrics?.limiterRate.set(labels, Number((lastRate = rate)));
      const t = performance.now();
      const waitMs = Number(refusedWait ?? 0);
      return { dues: waits.map((w) => t + Number(w)), refuse: () => refuse(`budget is booked for ${Math.round(waitMs)} ms`, waitMs, 'limiter') };
    },
  });
  // One subscriber connection, opened with the first booking (a process that never calls
  // CXone opens none); while it reconnects, bookings still carry the pause. The first call
  // waits for the subscription (at most a second: a cluster's subscriber finds its node
  // first), so a pause published just after its booking is heard.
  let subscriber: RedisConnection | undefined;
  let subscribed: Promise<unknown> = Promise.resolve();
  const listen = () => {
    // Both Redis and Cluster duplicate; ioredis 6's union of their signatures is not callable.
    const sub = (subscriber = (redis as { duplicate(): RedisConnection }).duplicate());
    sub.on('message', (_channel: string, ms: string) => heardPause(Number(ms)));
    sub.on('error', () => undefined);
    subscribed = Promise.race([sub.subscribe(keys.channel).catch(() => undefined), delay(1_000, undefined, { ref: false })]);
  };
  const refuse = (message: string, ms: number, source: string) =>
    new RateLimitedError(`account ${accountId} ${message}`, Math.max(1, Math.ceil(ms)), { details: { accountId, source } });

  return {
    /** Resolves when this call may go out; throws RateLimitedError if it would wait too long. */
    async acquire(signal?: AbortSignal): Promise<void> {
      if (!subscriber) listen();
      await subscribed;
      for (let booking = 1; ; booking++) {
        const dueAt = await bookings.slot();
        metrics?.limiterWaitSeconds.observe(labels, Math.max(0, dueAt - performance.now()) / 1000);
        // Timers may fire early (a cached loop clock): a call before its slot crowds the second before.
        for (let left = dueAt - performance.now(); left >= 1; left = dueAt - performance.now()) await delay(left, undefined, { signal });
        const pauseMs = pausedUntil - performance.now();
        if (pauseMs > 0) throw refuse('is paused after a 429', pauseMs, 'pause');
        if (performance.now() - dueAt <= lateMs || booking > MAX_REBOOKINGS) return;
        metrics?.limiterRebookings.inc(labels);
      }
    },
    /** After a 429: pauses the whole account (Retry-After ms, or a backoff); the pause's ms left. */
    async rateLimited(retryAfterMs: number | undefined): Promise<number> {
      const { baseMs, capMs, quietMs } = opts.backoff;
      const args = [...rateArgs, retryAfterMs ?? '', baseMs, capMs, quietMs, Math.random(), opts.adaptive?.decrease ?? 0, keys.channel];
      const ms = Number(await pauseScript.run(redis, [...keyList, keys.backoff], args));
      heardPause(ms);
      return ms;
    },
    close(): Promise<void> {
      subscriber?.disconnect();
      return Promise.resolve();
    },
  };
}
