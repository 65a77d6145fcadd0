// A circuit breaker per account, kept in Redis so the whole fleet sees one state: closed →
// open after N consecutive failures (5xx, timeouts, dropped connections) → half-open after
// a timeout → closed after M successes (a failure while half-open opens it again). It is
// its own step before the limiter's booking, read from Redis at most every refreshMs.
import { ErrorCode, RateLimitedError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import { fleetKey, type RedisConnection } from '../redis.ts';
import { defineScript } from '../redis-script.ts';

export const BREAKER_STATES = { closed: 'closed', open: 'open', halfOpen: 'half-open' } as const;
export type BreakerState = (typeof BREAKER_STATES)[keyof typeof BREAKER_STATES];

// KEYS[1] breaker hash; ARGV[1] open ms. An open breaker whose time is up turns half-open
// here. Returns {state, ms left open, failures so far}.
const CHECK_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'open' then return {state or 'closed', 0, tonumber(redis.call('HGET', KEYS[1], 'failures') or '0')} end
local remaining = tonumber(redis.call('HGET', KEYS[1], 'openedAt') or '0') + tonumber(ARGV[1]) - now
if remaining > 0 then return {'open', remaining, 0} end
redis.call('HSET', KEYS[1], 'state', 'half-open', 'successes', 0)
return {'half-open', 0, 0}
`;

// KEYS[1] breaker hash; ARGV[1] 1 = success / 0 = failure, ARGV[2] failure threshold,
// ARGV[3] successes to close. Returns the new state.
const RECORD_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
if ARGV[1] == '1' then
  if state == 'half-open' then
    local s = redis.call('HINCRBY', KEYS[1], 'successes', 1)
    if s >= tonumber(ARGV[3]) then redis.call('DEL', KEYS[1]) return 'closed' end
    return 'half-open'
  end
  if state == 'closed' and redis.call('HEXISTS', KEYS[1], 'failures') == 1 then redis.call('DEL', KEYS[1]) end
  return state
end
if state == 'half-open' then
  redis.call('HSET', KEYS[1], 'state', 'open', 'openedAt', now, 'failures', 0)
  return 'open'
end
if state == 'open' then return 'open' end
local f = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if f >= tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'state', 'open', 'openedAt', now, 'failures', 0)
  return 'open'
end
return 'closed'
`;

const checkScript = defineScript<[BreakerState, number, number]>('cxfBreakerCheck', 1, CHECK_LUA);
const recordScript = defineScript<BreakerState>('cxfBreakerRecord', 1, RECORD_LUA);

export interface BreakerOptions {
  redis: RedisConnection;
  prefix: string;
  accountId: string;
  failureThreshold: number;
  openMs: number;
  halfOpenSuccesses: number;
  metrics?: Metrics;
}

/**
 * How long a process trusts the state it last read. Asking Redis before every call would
 * be a round trip per call for a state that changes after many failures; a process sees
 * another's transition within this long, and its own at once.
 */
export const BREAKER_REFRESH_MS = 250;

export interface Breaker {
  /**
   * Throws a RateLimitedError (job deferred, no attempt spent) while the circuit is open.
   * Resolves to whether a success must be recorded (half-open, or failures to reset).
   */
  check(): Promise<boolean>;
  record(ok: boolean): Promise<BreakerState>;
  state(): Promise<BreakerState>;
}

export function createBreaker(opts: BreakerOptions & { refreshMs?: number }): Breaker {
  const key = fleetKey(opts.prefix, 'breaker', opts.accountId);
  const refreshMs = opts.refreshMs ?? BREAKER_REFRESH_MS;
  // The last state read or written, in this process's clock.
  let known: { state: BreakerState; openUntil: number; failures: number; at: number } | undefined;
  const learn = (state: BreakerState, remaining: number, failures: number) => {
    const at = performance.now();
    known = { state, openUntil: at + remaining, failures, at };
    opts.metrics?.breakerState.set({ account: opts.accountId }, state === 'open' ? 1 : 0);
  };
  return {
    async check() {
      const now = performance.now();
      const stale = !known || now - known.at >= refreshMs || (known.state === 'open' && known.openUntil <= now);
      if (stale) learn(...(await checkScript.run(opts.redis, [key], [opts.openMs])));
      const k = known!;
      if (k.state === 'open') {
        throw new RateLimitedError(`circuit open for account ${opts.accountId}`, Math.max(1, Math.ceil(k.openUntil - performance.now())), {
          code: ErrorCode.CircuitOpen,
        });
      }
      return k.state !== 'closed' || k.failures > 0;
    },
    async record(ok) {
      const state = await recordScript.run(opts.redis, [key], [ok ? '1' : '0', opts.failureThreshold, opts.halfOpenSuccesses]);
      learn(state, state === 'open' ? opts.openMs : 0, state === 'closed' && !ok ? 1 : 0);
      return state;
    },
    async state() {
      return ((await opts.redis.hget(key, 'state')) as BreakerState | null) ?? 'closed';
    },
  };
}
