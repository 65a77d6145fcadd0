// The fleet-wide budget of one CXone account: GCRA in one Redis script, shared by every
// queue and process (see docs/adr/0001-limiter.md). Each call reserves the next slot and
// waits for it in process, so waiters never poll Redis; a slot further away than maxWaitMs
// is refused and the job goes back to its queue. A 429 pauses the whole account: for its
// Retry-After, or else for an exponential backoff with full jitter; every process hears the
// pause at once (pub/sub) and with every booking, so nothing booked before it goes out into it.
import { setTimeout as delay } from 'node:timers/promises';
import { RateLimitedError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import { fleetKey, type RedisConnection } from '../redis.ts';
import { defineScript } from '../redis-script.ts';

// Redis's clock (every process books on one), and the per-second rate now: the configured
// one, or the adaptive one (AIMD: a 429 cuts it by a share, then it climbs by `step` rps a
// second, a share of the rate the 429 came at, up to the ceiling). ARGV[1] rps (the ceiling
// when adaptive), ARGV[2] '1' adaptive, ARGV[3] climb (share a second), ARGV[4] starting
// rps; KEYS[3] the adaptive state {rate, at, step}.
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

// KEYS[1] theoretical arrival time (ms), KEYS[2] pause-until (ms), KEYS[3] adaptive state.
// ARGV[5] least interval ms (the per-minute and per-hour budgets), ARGV[6] burst, ARGV[7]
// max wait ms: a slot further away is not booked. Returns {wait ms, ms left of the pause,
// rate} as strings (Redis truncates Lua numbers to integers).
const RESERVE_LUA = `${NOW_RATE_LUA}
local rate = currentRate()
local interval = math.max(1000 / rate, tonumber(ARGV[5]))
local tolerance = (tonumber(ARGV[6]) - 1) * interval
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local pause = tonumber(redis.call('GET', KEYS[2]) or '0')
local slot = math.max(now, tat - tolerance, pause)
if slot - now <= tonumber(ARGV[7]) then
  local newTat = math.max(tat, slot) + interval
  -- string.format: Lua's tostring keeps one decimal of an epoch-ms time.
  redis.call('SET', KEYS[1], string.format('%.3f', newTat), 'PX', math.ceil(newTat - now + tolerance + 1000))
end
return {tostring(slot - now), tostring(math.max(0, pause - now)), tostring(rate)}
`;

// After a 429. KEYS[4] backoff exponent. ARGV[5] Retry-After ms ('' if none), ARGV[6] backoff
// base ms, ARGV[7] cap ms, ARGV[8] quiet ms (the exponent resets after that long without a
// 429), ARGV[9] a random number in [0, 1), ARGV[10] adaptive decrease, ARGV[11] channel.
// A 429 while the account is already paused answers a call sent before the pause: it only
// lengthens the pause to its Retry-After, and neither backs off further nor cuts the rate.
// Returns the ms left of the pause.
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

/** After this many late arrivals a call goes anyway: it must not starve. */
const MAX_REBOOKINGS = 3;

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

export interface RateLimiter {
  /** Resolves when this call may go out; throws RateLimitedError if it would wait too long. */
  acquire(signal?: AbortSignal): Promise<void>;
  /** After a 429: pauses the whole account (Retry-After ms, or a backoff); the pause's ms left. */
  rateLimited(retryAfterMs: number | undefined): Promise<number>;
  close(): Promise<void>;
}

const reserveScript = defineScript<[string, string, string]>('cxfReserve', 3, RESERVE_LUA);
const pauseScript = defineScript<string>('cxfPause', 4, PAUSE_LUA);

export function limiterKeys(prefix: string, accountId: string) {
  const key = (part: string) => fleetKey(prefix, 'limiter', accountId, part);
  return { tat: key('tat'), pause: key('pause'), adaptive: key('adaptive'), backoff: key('backoff'), channel: key('paused') };
}

export function createRateLimiter(opts: RateLimiterOptions): RateLimiter {
  const { redis, accountId, lateMs, maxWaitMs, metrics } = opts;
  const keys = limiterKeys(opts.prefix, accountId);
  const keyList = [keys.tat, keys.pause, keys.adaptive];
  const rateArgs = [opts.rps, opts.adaptive ? '1' : '0', opts.adaptive?.climb ?? 0, Math.min(opts.rps, opts.adaptive?.startRps ?? opts.rps)];
  const reserveArgs = [...rateArgs, opts.minIntervalMs, opts.burst, maxWaitMs];
  const labels = { account: accountId };
  let lastRate = '';
  // When the account is paused, as this process last heard (its own 429, a booking's
  // answer, or another process's 429 on the channel).
  let pausedUntil = 0;
  const heardPause = (leftMs: number) => {
    if (leftMs > 0) pausedUntil = Math.max(pausedUntil, performance.now() + leftMs);
  };
  // One subscriber connection, opened with the first booking (a process that never calls
  // CXone opens none). It reconnects by itself; meanwhile bookings still carry the pause.
  let subscriber: RedisConnection | undefined;
  const listen = () => {
    // Both Redis and Cluster duplicate; ioredis 6's union of their signatures is not callable.
    const sub = (subscriber = (redis as { duplicate(): RedisConnection }).duplicate());
    sub.on('message', (_channel: string, ms: string) => heardPause(Number(ms)));
    sub.on('error', () => undefined);
    sub.subscribe(keys.channel).catch(() => undefined);
  };
  const refuse = (message: string, ms: number, source: string) =>
    new RateLimitedError(`account ${accountId} ${message}`, Math.max(1, Math.ceil(ms)), { details: { accountId, source } });

  return {
    async acquire(signal) {
      if (!subscriber) listen();
      for (let booking = 1; ; booking++) {
        const [waitText, pauseLeft, rate] = await reserveScript.run(redis, keyList, reserveArgs);
        heardPause(Number(pauseLeft));
        if (rate !== lastRate) metrics?.limiterRate.set(labels, Number((lastRate = rate)));
        const waitMs = Number(waitText);
        if (waitMs > maxWaitMs) throw refuse(`budget is booked for ${Math.round(waitMs)} ms`, waitMs, 'limiter');
        metrics?.limiterWaitSeconds.observe(labels, waitMs / 1000);
        // Timers run on a cached loop clock and may fire early: a call sent before its slot
        // would crowd the second before, so the rest is waited out.
        const dueAt = performance.now() + waitMs;
        for (let left = waitMs; left >= 1; left = dueAt - performance.now()) await delay(left, undefined, { signal });
        const pauseMs = pausedUntil - performance.now();
        if (pauseMs > 0) throw refuse('is paused after a 429', pauseMs, 'pause');
        if (performance.now() - dueAt <= lateMs || booking > MAX_REBOOKINGS) return;
        metrics?.limiterRebookings.inc(labels);
      }
    },
    async rateLimited(retryAfterMs) {
      const { baseMs, capMs, quietMs } = opts.backoff;
      const args = [...rateArgs, retryAfterMs ?? '', baseMs, capMs, quietMs, Math.random(), opts.adaptive?.decrease ?? 0, keys.channel];
      const ms = Number(await pauseScript.run(redis, [...keyList, keys.backoff], args));
      heardPause(ms);
      return ms;
    },
    close() {
      subscriber?.disconnect();
      return Promise.resolve();
    },
  };
}
