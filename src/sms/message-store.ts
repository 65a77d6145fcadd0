// What the fleet knows about every SMS and every batch, in Redis with a retention period.
// A message's state moves only through the pure state machine (domain/sms/message-state),
// applied under WATCH so two workers racing on one message (a webhook and a retry, say)
// never both win; batch counters move with the message in the same transaction.
import { MESSAGE_STATE_RULES, type MessageState } from '../domain/sms/message-state.ts';
import { fleetKey, type RedisConnection } from '../redis.ts';
import { defineScript } from '../redis-script.ts';
import { recordRows, type RowOutcome } from './batch-figures.ts';

export type { RowOutcome } from './batch-figures.ts';

export interface NewMessage {
  messageId: string;
  row: number;
  to: string;
  campaignId: string;
  encoding: string;
  segments: number;
  priority: string;
}

/**
 * created: new; unsent: existed but never sent (enqueue again); resumed: this very row of
 * this batch, sent by an earlier submission (leave alone); duplicate: another row's
 * message (a repeated ref), leave alone.
 */
export type CreateOutcome = 'created' | 'unsent' | 'resumed' | 'duplicate';

export interface MessageRecord {
  messageId: string;
  batchId: string;
  row: number;
  to: string;
  campaignId: string;
  state: MessageState;
  encoding: string;
  segments: number;
  priority: string;
  cxoneId?: string;
  attempts: number;
  createdAt: number;
  dispatchedAt?: number;
  sentAt?: number;
  finalAt?: number;
  latencyMs?: number;
  lastError?: string;
}

export interface BatchRecord {
  batchId: string;
  createdAt: number;
  total: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  segments: number;
  counts: Partial<Record<MessageState, number>>;
  rejectedByReason: Record<string, number>;
}

export interface Rejection {
  row: number;
  to?: string;
  reasons: { field: string; message: string }[];
}

const TIME_FIELD: Partial<Record<MessageState, keyof MessageRecord>> = {
  dispatched: 'dispatchedAt',
  sent: 'sentAt',
  delivered: 'finalAt',
  undelivered: 'finalAt',
  failed: 'finalAt',
  expired: 'finalAt',
  rejected: 'finalAt',
};

// The rule table as a Lua table literal, built from the TypeScript one: part of the script
// (hashed once, sent by SHA), instead of JSON sent and decoded on every transition.
const RULES_LUA = `{ ${Object.entries(MESSAGE_STATE_RULES)
  .map(([state, rule]) => `['${state}'] = { rank = ${rule.rank}, beforeDispatchOnly = ${rule.beforeDispatchOnly} }`)
  .join(', ')} }`;

// The transition rule of domain/sms/message-state.ts (applyTransition), run atomically next
// to the data with the same rule table, so a webhook and a retry racing on one message
// cannot both win. The batch's per-state counters move in the same step.
// KEYS[1] message hash. ARGV: next state, batch key prefix, cxone-id key prefix,
// retention s, fields JSON (string values), time field for the next state, message id.
const TRANSITION_LUA = `
local rules = ${RULES_LUA}
local nextState = ARGV[1]
local cur = redis.call('HGET', KEYS[1], 'state')
local batchId = redis.call('HGET', KEYS[1], 'batchId')
if not cur or not batchId then return {0, false, false} end
local from = rules[cur]
local to = rules[nextState]
local changed = 1
if to.beforeDispatchOnly and from.rank > rules['queued'].rank then changed = 0
elseif to.rank <= from.rank then changed = 0 end
local f = cjson.decode(ARGV[5])
local upd = {}
for key, v in pairs(f) do
  if key ~= 'at' then upd[#upd + 1] = key; upd[#upd + 1] = v end
end
if changed == 1 then
  upd[#upd + 1] = 'state'; upd[#upd + 1] = nextState
  if ARGV[6] ~= '' then upd[#upd + 1] = ARGV[6]; upd[#upd + 1] = f['at'] end
  redis.call('HINCRBY', ARGV[2] .. batchId, 'state:' .. cur, -1)
  redis.call('HINCRBY', ARGV[2] .. batchId, 'state:' .. nextState, 1)
end
if #upd > 0 then redis.call('HSET', KEYS[1], unpack(upd)) end
if f['cxoneId'] then redis.call('SET', ARGV[3] .. f['cxoneId'], ARGV[7], 'EX', tonumber(ARGV[4])) end
if changed == 1 then return {1, cur, nextState} end
return {0, cur, cur}
`;

const transitionScript = defineScript<[number, string | null, string | null]>('cxfSmsTransition', 1, TRANSITION_LUA);

// KEYS[1] batch hash, KEYS[2..n+1] the message hashes. ARGV: retention s, batch id,
// created at, then one JSON array of [row, to, campaign, encoding, segments, priority] per
// message (one argument rather than six per message: a thousand-row chunk would otherwise
// be six thousand arguments for the client to frame and Redis to parse).
// Per message: 1 = created now (and counted as queued in its batch); 2 = it already
// existed and was never sent (a resubmission after an intake that failed before its jobs
// were added: enqueue it again, the job id makes that a no-op if the job exists);
// 3 = this very row of this batch, sent by an earlier submission; 0 = a duplicate (another
// row's message, sent or settled already, or repeated within this very call).
// One call per chunk: a thousand separate calls cost the producer more than Redis.
const CREATE_LUA = `
local outcome = {}
local seen = {}
local fresh = 0
local rows = cjson.decode(ARGV[4])
for i = 2, #KEYS do
  local m = rows[i - 1]
  if seen[KEYS[i]] then
    outcome[i - 1] = 0
  elseif redis.call('HSETNX', KEYS[i], 'state', 'queued') == 1 then
    redis.call('HSET', KEYS[i], 'batchId', ARGV[2], 'createdAt', ARGV[3], 'row', m[1], 'to', m[2],
      'campaignId', m[3], 'encoding', m[4], 'segments', m[5], 'priority', m[6], 'attempts', '0')
    redis.call('EXPIRE', KEYS[i], tonumber(ARGV[1]))
    fresh = fresh + 1
    outcome[i - 1] = 1
  elseif redis.call('HGET', KEYS[i], 'state') == 'queued' and redis.call('HEXISTS', KEYS[i], 'cxoneId') == 0 then
    outcome[i - 1] = 2
  elseif redis.call('HGET', KEYS[i], 'batchId') == ARGV[2] and redis.call('HGET', KEYS[i], 'row') == m[1] then
    outcome[i - 1] = 3
  else
    outcome[i - 1] = 0
  end
  seen[KEYS[i]] = true
end
if fresh > 0 then redis.call('HINCRBY', KEYS[1], 'state:queued', fresh) end
return outcome
`;
const createScript = defineScript<number[]>('cxfSmsCreateMany', 'varying', CREATE_LUA);
const CREATE_OUTCOMES: CreateOutcome[] = ['duplicate', 'created', 'unsent', 'resumed'];

export function createMessageStore(deps: { redis: RedisConnection; prefix: string; retentionS: number; maxStoredRejections?: number }) {
  const { redis, retentionS } = deps;
  const maxStored = deps.maxStoredRejections ?? 1000;
  const k = {
    msg: (id: string) => fleetKey(deps.prefix, 'sms', 'msg', id),
    batch: (id: string) => fleetKey(deps.prefix, 'sms', 'batch', id),
    rejections: (id: string) => fleetKey(deps.prefix, 'sms', 'batch', id, 'rejected'),
    rows: (id: string) => fleetKey(deps.prefix, 'sms', 'batch', id, 'rows'),
    cx: (cxId: string) => fleetKey(deps.prefix, 'sms', 'cx', cxId),
  };

  async function getMessage(messageId: string): Promise<MessageRecord | undefined> {
    const h = await redis.hgetall(k.msg(messageId));
    if (!h.state) return undefined;
    const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
    return {
      messageId,
      batchId: h.batchId ?? '',
      row: Number(h.row ?? 0),
      to: h.to ?? '',
      campaignId: h.campaignId ?? '',
      state: h.state as MessageState,
      encoding: h.encoding ?? '',
      segments: Number(h.segments ?? 0),
      priority: h.priority ?? 'bulk',
      cxoneId: h.cxoneId,
      attempts: Number(h.attempts ?? 0),
      createdAt: Number(h.createdAt ?? 0),
      dispatchedAt: num(h.dispatchedAt),
      sentAt: num(h.sentAt),
      finalAt: num(h.finalAt),
      latencyMs: num(h.latencyMs),
      lastError: h.lastError,
    };
  }

  return {
    getMessage,

    /**
     * Counts a submission's rows into its batch, each row once however often it comes;
     * answers per row whether it was counted now. Called with no rows, it opens the batch.
     */
    async recordIntake(batchId: string, rows: RowOutcome[]): Promise<boolean[]> {
      return recordRows(redis, [k.batch(batchId), k.rows(batchId), k.rejections(batchId)], rows, { retentionS, maxStored });
    },

    /** Creates message records in state `queued`; says per message what to do with it. */
    async createMessages(batchId: string, messages: NewMessage[]): Promise<CreateOutcome[]> {
      if (messages.length === 0) return [];
      const keys = messages.map((m) => k.msg(m.messageId));
      // Numbers as strings: Lua would store 1e+15-style text for some of them otherwise.
      const fields = JSON.stringify(messages.map((m) => [String(m.row), m.to, m.campaignId, m.encoding, String(m.segments), m.priority]));
      const flags = await createScript.run(redis, [k.batch(batchId), ...keys], [retentionS, batchId, String(Date.now()), fields]);
      return flags.map((f) => CREATE_OUTCOMES[f] ?? 'duplicate');
    },

    /** Moves a message through the state machine; a no-op transition changes nothing. */
    async transition(
      messageId: string,
      next: MessageState,
      fields: { cxoneId?: string; lastError?: string; latencyMs?: number; attempts?: number; at?: number } = {},
    ): Promise<{ changed: boolean; from?: MessageState; to?: MessageState }> {
      // Values travel as strings: Lua's tostring would print large numbers as 1.7e+12.
      const f: Record<string, string> = { at: String(fields.at ?? Date.now()) };
      if (fields.cxoneId) f.cxoneId = fields.cxoneId;
      if (fields.lastError !== undefined) f.lastError = fields.lastError;
      if (fields.latencyMs !== undefined) f.latencyMs = String(fields.latencyMs);
      if (fields.attempts !== undefined) f.attempts = String(fields.attempts);
      const [changed, from, to] = await transitionScript.run(redis, [k.msg(messageId)], [
        next,
        k.batch(''),
        k.cx(''),
        retentionS,
        JSON.stringify(f),
        TIME_FIELD[next] ?? '',
        messageId,
      ]);
      if (!from) return { changed: false };
      return { changed: changed === 1, from: from as MessageState, to: to as MessageState };
    },

    async messageIdForCxone(cxoneId: string): Promise<string | undefined> {
      return (await redis.get(k.cx(cxoneId))) ?? undefined;
    },

    async getBatch(batchId: string): Promise<BatchRecord | undefined> {
      const h = await redis.hgetall(k.batch(batchId));
      if (!h.createdAt) return undefined;
      const counts: Partial<Record<MessageState, number>> = {};
      const rejectedByReason: Record<string, number> = {};
      for (const [f, v] of Object.entries(h)) {
        if (f.startsWith('state:') && Number(v) !== 0) counts[f.slice(6) as MessageState] = Number(v);
        if (f.startsWith('reason:')) rejectedByReason[f.slice(7)] = Number(v);
      }
      return {
        batchId,
        createdAt: Number(h.createdAt),
        total: Number(h.total ?? 0),
        accepted: Number(h.accepted ?? 0),
        rejected: Number(h.rejected ?? 0),
        duplicates: Number(h.duplicates ?? 0),
        segments: Number(h.segments ?? 0),
        counts,
        rejectedByReason,
      };
    },

    async getRejections(batchId: string, start = 0, stop = 999): Promise<Rejection[]> {
      const rows = await redis.lrange(k.rejections(batchId), start, stop);
      return rows.map((r) => JSON.parse(r) as Rejection);
    },
  };
}

export type MessageStore = ReturnType<typeof createMessageStore>;
