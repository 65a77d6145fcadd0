// A circuit breaker per account, kept in Redis so the whole fleet sees one state: closed →
// open after N consecutive failures (5xx, timeouts, dropped connections) → half-open after
// a timeout → closed after M successes (a failure while half-open opens it again).
import { ErrorCode, RateLimitedError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import { fleetKey, type RedisConnection } from '../redis.ts';
import { defineScript } from '../redis-script.ts';

export const BREAKER_STATES = { closed: 'closed', open: 'open', halfOpen: 'half-open' } as const;
export type BreakerState = (typeof BREAKER_STATES)[keyof typeof BREAKER_STATES];

/**
 * The breaker's verdict as a Lua function, so the limiter can ask it in the same script
 * that books a slot (one round trip before each call instead of two). An open breaker
 * whose time is up turns half-open here. Returns state, ms left open, failures so far.
 */
export const BREAKER_VERDICT_LUA = `
local function breakerVerdict(key, openMs, now)
  local state = redis.call('HGET', key, 'state')
  if state ~= 'open' then return state or 'closed', 0, tonumber(redis.call('HGET', key, 'failures') or '0') end
  local openedAt = tonumber(redis.call('HGET', key, 'openedAt') or '0')
  local remaining = openedAt + openMs - now
  if remaining > 0 then return 'open', remaining, 0 end
  redis.call('HSET', key, 'state', 'half-open', 'successes', 0)
  return 'half-open', 0, 0
end
`;

// KEYS[1] breaker hash; ARGV[1] open ms. Returns {state, remaining ms, failures so far}.
const CHECK_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
${BREAKER_VERDICT_LUA}
local state, remaining, failures = breakerVerdict(KEYS[1], tonumber(ARGV[1]), now)
return {state, remaining, failures}
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

/** What another script needs to ask the breaker in its own round trip (see the limiter). */
export interface BreakerGate {
  key: string;
  openMs: number;
  /** Acts on BREAKER_VERDICT_LUA's answer exactly as check() does. */
  verdict(state: BreakerState, remainingMs: number, failures: number): boolean;
}

export interface Breaker {
  /**
   * Throws a RateLimitedError (job deferred, no attempt spent) while the circuit is open.
   * Resolves to whether a success must be recorded (half-open, or failures to reset).
   */
  check(): Promise<boolean>;
  readonly gate: BreakerGate;
  record(ok: boolean): Promise<BreakerState>;
  state(): Promise<BreakerState>;
}

export function createBreaker(opts: BreakerOptions): Breaker {
  const key = fleetKey(opts.prefix, 'breaker', opts.accountId);
  const setGauge = (s: BreakerState) => opts.metrics?.breakerState.set({ account: opts.accountId }, s === 'open' ? 1 : 0);
  const verdict = (state: BreakerState, remaining: number, failures: number): boolean => {
    setGauge(state);
    if (state === 'open') {
      throw new RateLimitedError(`circuit open for account ${opts.accountId}`, Math.max(1, Math.ceil(remaining)), {
        code: ErrorCode.CircuitOpen,
      });
    }
    return state !== 'closed' || failures > 0;
  };
  return {
    gate: { key, openMs: opts.openMs, verdict },
    async check() {
      const [state, remaining, failures] = await checkScript.run(opts.redis, [key], [opts.openMs]);
      return verdict(state, remaining, failures);
    },
    async record(ok) {
      const state = await recordScript.run(opts.redis, [key], [ok ? '1' : '0', opts.failureThreshold, opts.halfOpenSuccesses]);
      setGauge(state);
      return state;
    },
    async state() {
      return ((await opts.redis.hget(key, 'state')) as BreakerState | null) ?? 'closed';
    },
  };
}
