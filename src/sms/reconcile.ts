// sms-reconcile worker logic: one sweep over the messages still waiting for CXone (sent
// without a final receipt, or `unknown`), due SMS_RECONCILE_AFTER_S after they started
// waiting. Each is asked of CXone once per sweep: by CXone id for its status, or, for an
// `unknown` send, by its idempotency key to find out whether CXone has it at all. Past the
// receipt deadline a message still without a final status ends `no-receipt`.
//
// Why a sweep over one sorted set and not a delayed job per message: at 500 msg/s a job per
// message is 500 more job writes, lock renewals and completions per second, almost all for
// messages whose receipt came long before; the set costs one ZADD and one ZREM inside the
// transitions the messages make anyway, and a sweep touches only the messages still waiting.
import type { AuditLog } from '../audit.ts';
import type { CxoneClient } from '../cxone/http.ts';
import { getSmsStatus, lookupSmsByKey, type SmsStatusAnswer } from '../cxone/sms.ts';
import { isTerminal, type MessageState } from '../domain/sms/message-state.ts';
import { isFleetError, RateLimitedError } from '../errors.ts';
import type { Processor } from '../queues/define-worker.ts';
import type { MessageRecord, MessageStore } from './message-store.ts';
import { FROM_CXONE } from './status-processor.ts';

export interface SmsReconcileDeps {
  client: CxoneClient;
  store: MessageStore;
  audit: AuditLog;
  accountId: string;
  /** Which reads the account's CXone offers (endpoint map entries not set to null). */
  can: { status: boolean; lookup: boolean };
  /** Ask again this long after an answer that settled nothing. */
  recheckMs: number;
  receiptDeadlineMs: number;
  /** Messages per sweep. */
  batch: number;
  /** CXone reads in flight at once within a sweep (the account limiter paces them). */
  parallel?: number;
  now?: () => number;
}

type Outcome = 'settled' | 'reconciled' | 'not-at-cxone' | 'no-receipt' | 'waiting' | 'gone';

export function createSmsReconcileProcessor(deps: SmsReconcileDeps): Processor<'smsReconcile'> {
  const now = deps.now ?? Date.now;

  async function record(msg: MessageRecord, status: string, cxoneId?: string, errorCode?: string) {
    await deps.audit.append({ kind: 'sms.reconcile', accountId: deps.accountId, campaignId: msg.campaignId, messageId: msg.messageId, cxoneId, status, errorCode });
  }

  /** Applies CXone's answer; true when it settled the message. */
  async function applyAnswer(msg: MessageRecord, ans: SmsStatusAnswer): Promise<boolean> {
    const next: MessageState = FROM_CXONE[ans.status]!;
    const at = ans.timestamp ? Date.parse(ans.timestamp) : NaN;
    const r = await deps.store.applyReceipt(ans.id, next, { ...(Number.isNaN(at) ? {} : { at }), ...(ans.error?.code ? { lastError: ans.error.code } : {}) });
    if (r.changed) await record(msg, r.to ?? next, ans.id, ans.error?.code);
    return r.to !== undefined && isTerminal(r.to);
  }

  async function ask(msg: MessageRecord, signal: AbortSignal): Promise<Outcome | undefined> {
    if (msg.cxoneId) {
      if (!deps.can.status) return undefined;
      const ans = await getSmsStatus(deps.client, msg.cxoneId, signal);
      return ans && (await applyAnswer(msg, ans)) ? 'reconciled' : undefined;
    }
    if (msg.state !== 'unknown' || !deps.can.lookup) return undefined;
    // The fleet's idempotency key is the message id (sms/prepare-chunk.ts).
    const found = await lookupSmsByKey(deps.client, msg.messageId, signal);
    if (!found) {
      // CXone has no send with this key: nothing went out. 'failed' makes it replayable;
      // only from 'unknown', so a replay that sent it meanwhile is not overwritten.
      const r = await deps.store.transition(msg.messageId, 'failed', { lastError: 'NOT_AT_CXONE' }, { onlyFrom: 'unknown', batchId: msg.batchId });
      if (r.changed) await record(msg, 'failed', undefined, 'NOT_AT_CXONE');
      return 'not-at-cxone';
    }
    // The dispatch recorded now also applies any receipt parked under this CXone id.
    const d = await deps.store.transition(msg.messageId, 'dispatched', { cxoneId: found.id }, { onlyFrom: 'unknown', batchId: msg.batchId });
    if (d.changed) await record(msg, d.to ?? 'dispatched', found.id);
    if (d.to && isTerminal(d.to)) return 'reconciled';
    return (await applyAnswer(msg, found)) ? 'reconciled' : undefined;
  }

  async function reconcileOne(messageId: string, signal: AbortSignal): Promise<Outcome> {
    const msg = await deps.store.getMessage(messageId);
    if (!msg) {
      await deps.store.forgetAwaiting(messageId);
      return 'gone';
    }
    if (msg.state === 'queued' || isTerminal(msg.state)) {
      await deps.store.forgetAwaiting(messageId);
      return 'settled';
    }
    const asked = await ask(msg, signal);
    if (asked) return asked;
    const deadline = (msg.dispatchedAt ?? msg.unknownAt ?? msg.createdAt) + deps.receiptDeadlineMs;
    if (now() >= deadline) {
      const r = await deps.store.transition(messageId, 'no-receipt', { lastError: 'RECEIPT_DEADLINE' }, { batchId: msg.batchId });
      if (r.changed) await record(msg, 'no-receipt', msg.cxoneId, 'RECEIPT_DEADLINE');
      return 'no-receipt';
    }
    // Nothing CXone can tell us: the next look is at the deadline, not every recheck.
    if (!(msg.cxoneId ? deps.can.status : deps.can.lookup)) await deps.store.deferAwaiting(messageId, deadline);
    return 'waiting';
  }

  return async (_data, ctx) => {
    const ids = await deps.store.claimDue(deps.batch, deps.recheckMs);
    const tally: Record<Outcome | 'errors', number> = { settled: 0, reconciled: 0, 'not-at-cxone': 0, 'no-receipt': 0, waiting: 0, gone: 0, errors: 0 };
    let next = 0;
    const lane = async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        try {
          tally[await reconcileOne(id, ctx.signal)]++;
        } catch (err) {
          // This message is due again at its recheck time; the sweep goes on.
          tally.errors++;
          if (!(err instanceof RateLimitedError)) ctx.log.warn({ messageId: id, code: isFleetError(err) ? err.code : 'UNEXPECTED', err }, 'reconciling a message failed');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(deps.parallel ?? 8, ids.length) }, lane));
    if (ids.length) ctx.log.info({ claimed: ids.length, ...tally }, 'sms reconcile sweep');
    return tally;
  };
}
