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

// ARGV[1] batch key prefix, [2] cxone-id key prefix, [3] early-receipt key prefix, [4] message
// key prefix, [5] reconciliation set key, [6] retention s, [7] reconcile after ms, [8] now ms.
const COMMON = `
local rules = ${RULES_LUA}
local timeFields = { ${Object.entries(TIME_FIELD).map(([s, f]) => `['${s}'] = '${f}'`).join(', ')} }
local awaitStates = ${luaSet(AWAITING_STATES)}
local batchP, cxP, earlyP, msgP, awaitingKey = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local retention, reconcileAfter, now = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])

-- applyTransition of message-state.ts
local function decide(cur, nextState)
  local from, to = rules[cur], rules[nextState]
  if to.beforeDispatchOnly and from.rank > rules['queued'].rank then return false end
  return to.rank > from.rank
end

-- One step on a message known to be in state cur; the batch counters and the
-- reconciliation set move with it. Returns the state after.
local function apply(msgKey, messageId, batchId, cur, nextState, f)
  local changed = decide(cur, nextState)
  local upd = {}
  for key, v in pairs(f) do
    if key ~= 'at' then upd[#upd + 1] = key; upd[#upd + 1] = v end
  end
  if changed then
    upd[#upd + 1] = 'state'; upd[#upd + 1] = nextState
    if timeFields[nextState] then upd[#upd + 1] = timeFields[nextState]; upd[#upd + 1] = f['at'] end
    redis.call('HINCRBY', batchP .. batchId, 'state:' .. cur, -1)
    redis.call('HINCRBY', batchP .. batchId, 'state:' .. nextState, 1)
    if awaitStates[nextState] then redis.call('ZADD', awaitingKey, 'NX', now + reconcileAfter, messageId)
    elseif rules[nextState].terminal then redis.call('ZREM', awaitingKey, messageId) end
  end
  if #upd > 0 then redis.call('HSET', msgKey, unpack(upd)) end
  if changed then return nextState end
  return cur
end

-- A transition of one message; a CXone id recorded with it also applies any receipt that
-- arrived before it (parked under that id), so nothing depends on a receipt's retry timing.
local function transition(msgKey, messageId, nextState, f)
  local cur = redis.call('HGET', msgKey, 'state')
  local batchId = redis.call('HGET', msgKey, 'batchId')
  if not cur or not batchId then return {0, false, false} end
  local state = apply(msgKey, messageId, batchId, cur, nextState, f)
  if f['cxoneId'] then
    redis.call('SET', cxP .. f['cxoneId'], messageId, 'EX', retention)
    local early = earlyP .. f['cxoneId']
    local e = redis.call('HMGET', early, 'state', 'at', 'lastError')
    if e[1] then
      local ef = { at = e[2] }
      if e[3] then ef['lastError'] = e[3] end
      state = apply(msgKey, messageId, batchId, state, e[1], ef)
      redis.call('DEL', early)
    end
  end
  if state ~= cur then return {1, cur, state} end
  return {0, cur, cur}
end
`;

// KEYS[1] message hash. ARGV[9] next state, [10] fields JSON (string values; 'at' is the
// time of the event), [11] message id, [12] '' or the only state it may move from (a
// reconciliation's verdict must not land on a message a replay has sent meanwhile).
export const transitionScript = defineScript<[number, string | null, string | null]>(
  'cxfSmsTransition2',
  1,
  `${COMMON}
if ARGV[12] ~= '' then
  local cur = redis.call('HGET', KEYS[1], 'state')
  if cur ~= ARGV[12] then return {0, cur, cur} end
end
return transition(KEYS[1], ARGV[11], ARGV[9], cjson.decode(ARGV[10]))`,
);

// A CXone status for a CXone id. KEYS[1] the id's mapping key. ARGV[9] CXone id, [10] next
// state, [11] fields JSON. Returns {changed, from, to, messageId}, or {2} when no dispatch is
// recorded for the id yet: the receipt is parked (the best one by the same rule) and
// applied by the transition that records the id.
export const receiptScript = defineScript<[number, string | null, string | null, string | null]>(
  'cxfSmsReceipt',
  1,
  `${COMMON}
local f = cjson.decode(ARGV[11])
local mid = redis.call('GET', KEYS[1])
if not mid then
  local early = earlyP .. ARGV[9]
  local prev = redis.call('HGET', early, 'state')
  if not prev or decide(prev, ARGV[10]) then
    redis.call('HSET', early, 'state', ARGV[10], 'at', f['at'])
    if f['lastError'] then redis.call('HSET', early, 'lastError', f['lastError'])
    else redis.call('HDEL', early, 'lastError') end
  end
  redis.call('EXPIRE', early, retention)
  return {2, false, false, false}
end
local r = transition(msgP .. mid, mid, ARGV[10], f)
r[4] = mid
return r`,
);

// The one way back, for replay only: 'failed' or 'unknown' without a CXone id to 'queued'
// (reopenForReplay of message-state.ts). KEYS[1] message hash; ARGV[9] message id.
// Returns {reopened, state before, has CXone id}.
export const reopenScript = defineScript<[number, string | null, number]>(
  'cxfSmsReopen',
  1,
  `${COMMON}
local replayable = ${luaSet(REPLAYABLE_STATES)}
local cur = redis.call('HGET', KEYS[1], 'state')
local batchId = redis.call('HGET', KEYS[1], 'batchId')
if not cur or not batchId then return {0, false, 0} end
local hasCx = redis.call('HEXISTS', KEYS[1], 'cxoneId')
if not replayable[cur] or hasCx == 1 then return {0, cur, hasCx} end
redis.call('HSET', KEYS[1], 'state', 'queued', 'replayedAt', ARGV[8])
redis.call('HINCRBY', KEYS[1], 'replays', 1)
redis.call('HINCRBY', batchP .. batchId, 'state:' .. cur, -1)
redis.call('HINCRBY', batchP .. batchId, 'state:queued', 1)
redis.call('ZREM', awaitingKey, ARGV[9])
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
