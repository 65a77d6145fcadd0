// What the fleet knows about every SMS and every batch, in Redis with a retention period.
// A message's state moves only through the pure state machine (domain/sms/message-state),
// applied by Lua scripts generated from it (message-scripts.ts), so two workers racing on
// one message (a webhook and a retry, say) never both win; batch counters and the
// reconciliation set move with the message in the same step.
import { reopenForReplay, type MessageState, type ReplayVerdict } from '../domain/sms/message-state.ts';
import { AUDIT_MAX_LEN, auditStreamKey } from '../audit.ts';
import { fleetKey, type RedisConnection } from '../redis.ts';
import { defineScript } from '../redis-script.ts';
import { recordRows, type RowOutcome } from './batch-figures.ts';
import { claimScript, receiptScript, reopenScript, RESOLVE, transitionManyScript, transitionScript } from './message-scripts.ts';

export type { RowOutcome } from './batch-figures.ts';

export interface NewMessage {
  messageId: string;
  row: number;
  to: string;
  campaignId: string;
  encoding: string;
  segments: number;
  priority: string;
  /** The send job that carries it (a chunk's id); default its own id, a job of its own. */
  job?: string;
}

/**
 * created: new; unsent: existed but never sent (enqueue again); resumed: this very row of
 * this batch, sent by an earlier submission (leave alone); duplicate: another row's
 * message (a repeated ref), leave alone.
 */
export type CreateOutcome = 'created' | 'unsent' | 'resumed' | 'duplicate';

export interface Created {
  outcome: CreateOutcome;
  /** The send job that carries the message: the one asked for, or for `unsent` the recorded one. */
  job: string;
}

/** What the send worker decides on for one message. */
export interface SendState {
  /** Undefined: no record. */
  current?: Pick<MessageRecord, 'state' | 'cxoneId' | 'maybeSent'> & { job: string };
  optedOut: boolean;
}

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
  unknownAt?: number;
  /** An attempt may have reached CXone (a timeout or reset after the request was written). */
  maybeSent: boolean;
  /** How often an operator's replay reopened it. */
  replays: number;
}

export interface TransitionFields {
  cxoneId?: string;
  lastError?: string;
  latencyMs?: number;
  attempts?: number;
  maybeSent?: boolean;
  /** The send job that carries the message from now on (a chunk hands a failed one to its own). */
  job?: string;
  /** When the event happened (epoch ms); default now. */
  at?: number;
}

/** One message's move in transitionMany. */
export interface TransitionItem {
  messageId: string;
  next: MessageState;
  fields: TransitionFields;
  /** An auditEntry appended with it. */
  audit?: string;
}

export interface TransitionResult {
  changed: boolean;
  from?: MessageState;
  to?: MessageState;
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

// KEYS[1] batch hash, KEYS[2..n+1] the message hashes. ARGV: retention s, batch id,
// created at, then one JSON array of [row, to, campaign, encoding, segments, priority, job]
// per message (one argument rather than six per message: a thousand-row chunk would otherwise
// be six thousand arguments for the client to frame and Redis to parse).
// Per message: 1 = created now (and counted as queued in its batch); the job that carries
// it (a string, '' for a record older than the field) = it already existed and was never
// sent (a resubmission after an intake that failed before its jobs were added: enqueue that
// job again, its id makes that a no-op if it exists);
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
      'campaignId', m[3], 'encoding', m[4], 'segments', m[5], 'priority', m[6], 'attempts', '0', 'job', m[7])
    redis.call('EXPIRE', KEYS[i], tonumber(ARGV[1]))
    fresh = fresh + 1
    outcome[i - 1] = 1
  elseif redis.call('HGET', KEYS[i], 'state') == 'queued' and redis.call('HEXISTS', KEYS[i], 'cxoneId') == 0 then
    outcome[i - 1] = redis.call('HGET', KEYS[i], 'job') or ''
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
const createScript = defineScript<(number | string)[]>('cxfSmsCreateMany2', 'varying', CREATE_LUA);
const CREATE_OUTCOMES: CreateOutcome[] = ['duplicate', 'created', 'unsent', 'resumed'];

// What a send job decides on, in one command for all its messages: KEYS[1] opt-out set,
// KEYS[2..n+1] the message hashes; ARGV[i] the i-th message's recipient. Returns, per
// message, {state, cxoneId, maybeSent, job, opted out 0/1} one after another.
const sendStateScript = defineScript<(string | number | null)[]>(
  'cxfSmsSendStates',
  'varying',
  `local out = {}
for i = 2, #KEYS do
  local h = redis.call('HMGET', KEYS[i], 'state', 'cxoneId', 'maybeSent', 'job')
  local n = #out
  out[n + 1] = h[1]; out[n + 2] = h[2]; out[n + 3] = h[3]; out[n + 4] = h[4]
  out[n + 5] = redis.call('SISMEMBER', KEYS[1], ARGV[i - 1])
end
return out`,
);

export interface MessageStoreDeps {
  redis: RedisConnection;
  prefix: string;
  retentionS: number;
  /** A message waiting for CXone is first reconciled this long after it started waiting. */
  reconcileAfterMs?: number;
  /** Rejected rows kept in full per batch; the rest are only counted by reason. */
  maxStoredRejections?: number;
  now?: () => number;
}

export function createMessageStore(deps: MessageStoreDeps) {
  const { redis, retentionS } = deps;
  const now = deps.now ?? Date.now;
  const reconcileAfterMs = deps.reconcileAfterMs ?? 600_000;
  const maxStored = deps.maxStoredRejections ?? 1000;
  const k = {
    msg: (id: string) => fleetKey(deps.prefix, 'sms', 'msg', id),
    batch: (id: string) => fleetKey(deps.prefix, 'sms', 'batch', id),
    rejections: (id: string) => fleetKey(deps.prefix, 'sms', 'batch', id, 'rejected'),
    rows: (id: string) => fleetKey(deps.prefix, 'sms', 'batch', id, 'rows'),
    cx: (cxId: string) => fleetKey(deps.prefix, 'sms', 'cx', cxId),
    early: (cxId: string) => fleetKey(deps.prefix, 'sms', 'early', cxId),
    awaiting: fleetKey(deps.prefix, 'sms', 'awaiting'),
    audit: auditStreamKey(deps.prefix),
  };
  const common = (at: number, batchId: string) => [retentionS, reconcileAfterMs, at, batchId];
  const messageKeys = (messageId: string, batchId: string) => [k.msg(messageId), k.batch(batchId), k.awaiting];
  /** The batch a message's record names (undefined: no record). */
  const batchOf = async (messageId: string) => (await redis.hget(k.msg(messageId), 'batchId')) ?? undefined;
  /**
   * Runs a script that declares the message's batch key: with the batch the caller knows
   * (or, without one, the record's), and once more with the record's if the script answers
   * that they differ. Undefined when the message has no record.
   */
  async function withBatch<R extends unknown[]>(messageId: string, known: string | undefined, run: (batchId: string) => Promise<R>): Promise<R | undefined> {
    for (let batchId = known, tries = 0; tries < 2; tries++, batchId = undefined) {
      batchId ??= await batchOf(messageId);
      if (batchId === undefined) return undefined;
      const r = await run(batchId);
      if (r[0] !== RESOLVE) return r;
    }
    throw new Error(`message ${messageId}: its batch changed while a script ran`);
  }
  const strings = (fields: TransitionFields): Record<string, string> => {
    // Values travel as strings: Lua's tostring would print large numbers as 1.7e+12.
    const f: Record<string, string> = { at: String(fields.at ?? now()) };
    if (fields.cxoneId) f.cxoneId = fields.cxoneId;
    if (fields.lastError !== undefined) f.lastError = fields.lastError;
    if (fields.latencyMs !== undefined) f.latencyMs = String(fields.latencyMs);
    if (fields.attempts !== undefined) f.attempts = String(fields.attempts);
    if (fields.maybeSent) f.maybeSent = '1';
    if (fields.job !== undefined) f.job = fields.job;
    return f;
  };
  const result = (changed: number, from: string | null, to: string | null): TransitionResult =>
    from ? { changed: changed === 1, from: from as MessageState, to: to as MessageState } : { changed: false };

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
      unknownAt: num(h.unknownAt),
      maybeSent: h.maybeSent === '1',
      replays: Number(h.replays ?? 0),
    };
  }

  /**
   * Moves a message through the state machine; a no-op transition changes nothing.
   * `batchId` (the job's) saves reading it from the record; `onlyFrom` is the only state
   * it may move from; `audit` (an auditEntry) is appended in the same step.
   */
  async function transition(
    messageId: string,
    next: MessageState,
    fields: TransitionFields = {},
    opts: { onlyFrom?: MessageState; batchId?: string; audit?: string } = {},
  ): Promise<TransitionResult> {
    const t = now();
    const f = strings({ at: t, ...fields });
    const cxKeys = f.cxoneId ? [k.cx(f.cxoneId), k.early(f.cxoneId)] : [];
    const args = (batchId: string) => [...common(t, batchId), next, JSON.stringify(f), messageId, opts.onlyFrom ?? '', opts.audit ?? '', AUDIT_MAX_LEN];
    const r = await withBatch(messageId, opts.batchId, (batchId) => transitionScript.run(redis, [...messageKeys(messageId, batchId), k.audit, ...cxKeys], args(batchId)));
    // No record (gone past retention): the attempt is still on the record.
    if (!r && opts.audit) await redis.xadd(k.audit, 'MAXLEN', '~', AUDIT_MAX_LEN, '*', 'r', opts.audit);
    return r ? result(...r) : { changed: false };
  }

  return {
    getMessage,

    /**
     * What the send worker decides on for each message, without the rest of its record, and
     * whether its recipient is in the opt-out set (ConsentStore.optOutKey).
     */
    async sendStates(optOutKey: string, messages: readonly { messageId: string; to: string }[]): Promise<SendState[]> {
      const flat = await sendStateScript.run(redis, [optOutKey, ...messages.map((m) => k.msg(m.messageId))], messages.map((m) => m.to));
      return messages.map((m, i) => {
        const [state, cxoneId, maybeSent, job, out] = flat.slice(i * 5, i * 5 + 5);
        const current = state ? { state: state as MessageState, cxoneId: (cxoneId as string | null) ?? undefined, maybeSent: maybeSent === '1', job: (job as string | null) || m.messageId } : undefined;
        return { ...(current ? { current } : {}), optedOut: out === 1 };
      });
    },

    /**
     * Counts a submission's rows into its batch, each row once however often it comes;
     * answers per row whether it was counted now. Called with no rows, it opens the batch.
     */
    async recordIntake(batchId: string, rows: RowOutcome[]): Promise<boolean[]> {
      return recordRows(redis, [k.batch(batchId), k.rows(batchId), k.rejections(batchId)], rows, { retentionS, maxStored });
    },

    /** Creates message records in state `queued`; says per message what to do with it. */
    async createMessages(batchId: string, messages: NewMessage[]): Promise<Created[]> {
      if (messages.length === 0) return [];
      const keys = messages.map((m) => k.msg(m.messageId));
      // Numbers as strings: Lua would store 1e+15-style text for some of them otherwise.
      const fields = JSON.stringify(messages.map((m) => [String(m.row), m.to, m.campaignId, m.encoding, String(m.segments), m.priority, m.job ?? m.messageId]));
      const flags = await createScript.run(redis, [k.batch(batchId), ...keys], [retentionS, batchId, String(Date.now()), fields]);
      return flags.map((f, i) => {
        const m = messages[i]!;
        return typeof f === 'string' ? { outcome: 'unsent', job: f || m.messageId } : { outcome: CREATE_OUTCOMES[f] ?? 'duplicate', job: m.job ?? m.messageId };
      });
    },

    transition,

    /**
     * Moves several messages of one batch, each as `transition` would, in one step (a send
     * job records the dispatches of its chunk together). A message whose record names
     * another batch is moved on its own.
     */
    async transitionMany(batchId: string, items: readonly TransitionItem[]): Promise<TransitionResult[]> {
      if (items.length === 0) return [];
      const t = now();
      const keys = [k.batch(batchId), k.awaiting, k.audit];
      const rows = items.map((item) => {
        const f = strings({ at: t, ...item.fields });
        keys.push(k.msg(item.messageId), k.cx(f.cxoneId ?? ''), k.early(f.cxoneId ?? ''));
        return [item.messageId, item.next, f, item.audit ?? ''];
      });
      const flat = await transitionManyScript.run(redis, keys, [...common(t, batchId), AUDIT_MAX_LEN, JSON.stringify(rows)]);
      return Promise.all(
        items.map(async (item, i) => {
          const [changed, from, to] = flat.slice(i * 3, i * 3 + 3) as [number, string | null, string | null];
          if (changed !== RESOLVE) return result(changed, from, to);
          return transition(item.messageId, item.next, item.fields, { audit: item.audit });
        }),
      );
    },

    /**
     * A CXone status for a CXone message id. Before the dispatch is recorded the receipt is
     * parked under the id and applied when it is (`parked: true`), whatever the timing.
     */
    async applyReceipt(cxoneId: string, next: MessageState, fields: Omit<TransitionFields, 'cxoneId'> = {}): Promise<TransitionResult & { parked: boolean; messageId?: string }> {
      const t = now();
      const f = JSON.stringify(strings({ at: t, ...fields }));
      // The message and its batch are read first so the script can declare their keys; it
      // checks both, and a dispatch recorded in between makes it answer RESOLVE.
      for (let tries = 0; tries < 3; tries++) {
        const messageId = await redis.get(k.cx(cxoneId));
        const batchId = messageId ? await batchOf(messageId) : undefined;
        if (messageId && batchId === undefined) return { changed: false, parked: false, messageId };
        const keys = [k.cx(cxoneId), k.early(cxoneId), ...(messageId && batchId ? messageKeys(messageId, batchId) : [])];
        const [changed, from, to, mid] = await receiptScript.run(redis, keys, [...common(t, batchId ?? ''), next, f, messageId ?? '']);
        if (changed === RESOLVE) continue;
        if (changed === 2) return { changed: false, parked: true };
        return { ...result(changed, from, to), parked: false, ...(mid ? { messageId: mid } : {}) };
      }
      throw new Error(`receipt for ${cxoneId}: its message or batch kept changing while the script ran`);
    },

    /**
     * Replay only: 'failed' or 'unknown' (never given a CXone id) back to 'queued' so its job
     * sends it again with the same idempotency key. Says what it did or why not.
     */
    async reopenForReplay(messageId: string): Promise<ReplayVerdict> {
      const t = now();
      const r = await withBatch(messageId, undefined, (batchId) => reopenScript.run(redis, messageKeys(messageId, batchId), [...common(t, batchId), messageId]));
      return reopenForReplay((r?.[1] ?? undefined) as MessageState | undefined, r?.[2] === 1);
    },

    /** Up to `limit` messages due for reconciliation; each is due again `recheckMs` later. */
    async claimDue(limit: number, recheckMs: number): Promise<string[]> {
      const t = now();
      return claimScript.run(redis, [k.awaiting], [t, limit, t + recheckMs]);
    },

    /** Takes a message out of reconciliation (gone past retention, or settled). */
    async forgetAwaiting(messageId: string): Promise<void> {
      await redis.zrem(k.awaiting, messageId);
    },

    /** Next reconciliation of a waiting message at `at` (when there is nothing to ask before). */
    async deferAwaiting(messageId: string, at: number): Promise<void> {
      await redis.zadd(k.awaiting, 'XX', at, messageId);
    },

    async awaitingCount(): Promise<number> {
      return redis.zcard(k.awaiting);
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
