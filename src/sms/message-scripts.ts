// The message store's atomic steps as Lua, generated from the pure state machine's tables
// (domain/sms/message-state.ts) so Redis and TypeScript can never decide differently.
// Every script shares one argument layout (ARGV[1..8], see COMMON) and one transition
// function; each runs next to the data, so a receipt, a retry and a reconciliation racing
// on one message cannot both win.
import { MESSAGE_STATE_RULES, MESSAGE_STATES, REPLAYABLE_STATES, type MessageState } from '../domain/sms/message-state.ts';
import { defineScript } from '../redis-script.ts';

/** The record field a state's arrival time is written to. */
export const TIME_FIELD: Partial<Record<MessageState, string>> = {
  unknown: 'unknownAt',
  dispatched: 'dispatchedAt',
  sent: 'sentAt',
  'no-receipt': 'finalAt',
  delivered: 'finalAt',
  undelivered: 'finalAt',
  failed: 'finalAt',
  expired: 'finalAt',
  rejected: 'finalAt',
};

/**
 * States that wait for CXone to say more: past 'queued' and not terminal. A message in one
 * of them is in the reconciliation set until a terminal state takes it out.
 */
export const AWAITING_STATES = MESSAGE_STATES.filter((s) => s !== 'queued' && !MESSAGE_STATE_RULES[s].terminal);

const luaSet = (names: readonly string[]) => `{ ${names.map((n) => `['${n}'] = true`).join(', ')} }`;

// The rule table as a Lua table literal: part of the script (hashed once, sent by SHA),
// instead of JSON sent and decoded on every transition.
const RULES_LUA = `{ ${Object.entries(MESSAGE_STATE_RULES)
  .map(([state, rule]) => `['${state}'] = { rank = ${rule.rank}, terminal = ${rule.terminal}, beforeDispatchOnly = ${rule.beforeDispatchOnly} }`)
  .join(', ')} }`;

// Every key a script touches is declared in KEYS (a cluster places scripts by their keys,
// and an undeclared key may live on another shard): the caller names the message's batch,
// and the script checks it against the record, answering RESOLVE (3) when they differ so
// the caller reads the record's batch and runs it again.
// ARGV[1] retention s, [2] reconcile after ms, [3] now ms, [4] the message's batch id.
const COMMON = `
local rules = ${RULES_LUA}
local timeFields = { ${Object.entries(TIME_FIELD).map(([s, f]) => `['${s}'] = '${f}'`).join(', ')} }
local awaitStates = ${luaSet(AWAITING_STATES)}
local retention, reconcileAfter, now, batchId = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]

-- applyTransition of message-state.ts
local function decide(cur, nextState)
  local from, to = rules[cur], rules[nextState]
  if to.beforeDispatchOnly and from.rank > rules['queued'].rank then return false end
  return to.rank > from.rank
end

-- k: the keys of one message {msg, batch, awaiting, cx, early} (cx and early only when a
-- CXone id is recorded). Its state, or false when it is gone, or nil when its batch is not
-- the one declared.
local function current(k)
  local h = redis.call('HMGET', k.msg, 'state', 'batchId')
  if not h[1] or not h[2] then return false end
  if h[2] ~= batchId then return nil end
  return h[1]
end

-- One step on a message known to be in state cur; the batch counters and the
-- reconciliation set move with it. Returns the state after.
local function apply(k, messageId, cur, nextState, f)
  local changed = decide(cur, nextState)
  local upd = {}
  for key, v in pairs(f) do
    if key ~= 'at' then upd[#upd + 1] = key; upd[#upd + 1] = v end
  end
  if changed then
    upd[#upd + 1] = 'state'; upd[#upd + 1] = nextState
    if timeFields[nextState] then upd[#upd + 1] = timeFields[nextState]; upd[#upd + 1] = f['at'] end
    redis.call('HINCRBY', k.batch, 'state:' .. cur, -1)
    redis.call('HINCRBY', k.batch, 'state:' .. nextState, 1)
    if awaitStates[nextState] then redis.call('ZADD', k.awaiting, 'NX', now + reconcileAfter, messageId)
    elseif rules[nextState].terminal then redis.call('ZREM', k.awaiting, messageId) end
  end
  if #upd > 0 then redis.call('HSET', k.msg, unpack(upd)) end
  if changed then return nextState end
  return cur
end

-- A transition of one message in state cur; a CXone id recorded with it also applies any
-- receipt that arrived before it (parked under that id), so nothing depends on a receipt's
-- retry timing.
local function transition(k, messageId, cur, nextState, f)
  local state = apply(k, messageId, cur, nextState, f)
  if f['cxoneId'] then
    redis.call('SET', k.cx, messageId, 'EX', retention)
    local e = redis.call('HMGET', k.early, 'state', 'at', 'lastError')
    if e[1] then
      local ef = { at = e[2] }
      if e[3] then ef['lastError'] = e[3] end
      state = apply(k, messageId, state, e[1], ef)
      redis.call('DEL', k.early)
    end
  end
  if state ~= cur then return {1, cur, state} end
  return {0, cur, cur}
end
`;

/** The answer of a script whose declared batch is not the message's: resolve and run again. */
export const RESOLVE = 3;

// KEYS[1] message hash, [2] its batch hash, [3] reconciliation set, [4] audit stream, and
// with a CXone id in the fields [5] the id's mapping key, [6] its early-receipt key. ARGV[5]
// next state, [6] fields JSON (string values; 'at' is the time of the event), [7] message
// id, [8] '' or the only state it may move from (a reconciliation's verdict must not land on
// a message a replay has sent meanwhile), [9] '' or an audit record appended with the
// transition (whatever it decides: the record is of the attempt), [10] the stream's length.
export const transitionScript = defineScript<[number, string | null, string | null]>(
  'cxfSmsTransition3',
  'varying',
  `${COMMON}
local k = { msg = KEYS[1], batch = KEYS[2], awaiting = KEYS[3], cx = KEYS[5], early = KEYS[6] }
local cur = current(k)
if cur == nil then return {${RESOLVE}, false, false} end
if ARGV[9] ~= '' then redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[10], '*', 'r', ARGV[9]) end
if not cur then return {0, false, false} end
if ARGV[8] ~= '' and cur ~= ARGV[8] then return {0, cur, cur} end
return transition(k, ARGV[7], cur, ARGV[5], cjson.decode(ARGV[6]))`,
);

// Several messages of one batch, each moved by its own transition in one step (a chunk's
// dispatches). KEYS[1] the batch hash, [2] the reconciliation set, [3] the audit stream,
// then per message [msg hash, CXone id mapping key, early-receipt key]. ARGV[5] the
// stream's length, [6] JSON array of [message id, next state, fields, audit ('' none)].
// Returns {changed, from, to} per message, one after another; {RESOLVE, false, false} for
// one whose record names another batch (the caller moves it on its own).
export const transitionManyScript = defineScript<(number | string | null)[]>(
  'cxfSmsTransitionMany',
  'varying',
  `${COMMON}
local items = cjson.decode(ARGV[6])
local out = {}
for i, item in ipairs(items) do
  local k = { msg = KEYS[3 * i + 1], batch = KEYS[1], awaiting = KEYS[2], cx = KEYS[3 * i + 2], early = KEYS[3 * i + 3] }
  local cur = current(k)
  local r
  if cur == nil then r = {${RESOLVE}, false, false}
  else
    if item[4] ~= '' then redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], '*', 'r', item[4]) end
    if not cur then r = {0, false, false} else r = transition(k, item[1], cur, item[2], item[3]) end
  end
  out[#out + 1] = r[1]; out[#out + 1] = r[2]; out[#out + 1] = r[3]
end
return out`,
);

// A CXone status for a CXone id. KEYS[1] the id's mapping key, [2] its early-receipt key;
// when the caller found a mapping, also [3] that message's hash, [4] its batch hash, [5] the
// reconciliation set. ARGV[5] next state, [6] fields JSON, [7] the message id the caller
// found ('' for none). Returns {changed, from, to, messageId}; {2} when no dispatch is
// recorded for the id yet: the receipt is parked (the best one by the same rule) and
// applied by the transition that records the id; {RESOLVE} when the mapping or the batch
// is not what the caller found.
export const receiptScript = defineScript<[number, string | null, string | null, string | null]>(
  'cxfSmsReceipt2',
  'varying',
  `${COMMON}
local f = cjson.decode(ARGV[6])
local mid = redis.call('GET', KEYS[1])
if (mid or '') ~= ARGV[7] then return {${RESOLVE}, false, false, false} end
if not mid then
  local prev = redis.call('HGET', KEYS[2], 'state')
  if not prev or decide(prev, ARGV[5]) then
    redis.call('HSET', KEYS[2], 'state', ARGV[5], 'at', f['at'])
    if f['lastError'] then redis.call('HSET', KEYS[2], 'lastError', f['lastError'])
    else redis.call('HDEL', KEYS[2], 'lastError') end
  end
  redis.call('EXPIRE', KEYS[2], retention)
  return {2, false, false, false}
end
local k = { msg = KEYS[3], batch = KEYS[4], awaiting = KEYS[5] }
local cur = current(k)
if cur == nil then return {${RESOLVE}, false, false, false} end
if not cur then return {0, false, false, mid} end
local r = transition(k, mid, cur, ARGV[5], f)
r[4] = mid
return r`,
);

// The one way back, for replay only: 'failed' or 'unknown' without a CXone id to 'queued'
// (reopenForReplay of message-state.ts). KEYS[1] message hash, [2] its batch hash, [3] the
// reconciliation set; ARGV[5] message id. Returns {reopened, state before, has CXone id}.
export const reopenScript = defineScript<[number, string | null, number]>(
  'cxfSmsReopen2',
  3,
  `${COMMON}
local replayable = ${luaSet(REPLAYABLE_STATES)}
local k = { msg = KEYS[1], batch = KEYS[2], awaiting = KEYS[3] }
local cur = current(k)
if cur == nil then return {${RESOLVE}, false, 0} end
if not cur then return {0, false, 0} end
local hasCx = redis.call('HEXISTS', k.msg, 'cxoneId')
if not replayable[cur] or hasCx == 1 then return {0, cur, hasCx} end
redis.call('HSET', k.msg, 'state', 'queued', 'replayedAt', ARGV[3])
redis.call('HINCRBY', k.msg, 'replays', 1)
redis.call('HINCRBY', k.batch, 'state:' .. cur, -1)
redis.call('HINCRBY', k.batch, 'state:queued', 1)
redis.call('ZREM', k.awaiting, ARGV[5])
return {1, cur, hasCx}`,
);

// Due members of the reconciliation set, each pushed to its next check time in the same
// step so two sweeps running at once do not take the same messages. KEYS[1] the set;
// ARGV[1] now, [2] limit, [3] next check time.
export const claimScript = defineScript<string[]>(
  'cxfSmsClaimDue',
  1,
  `local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], 'XX', ARGV[3], id) end
return ids`,
);
