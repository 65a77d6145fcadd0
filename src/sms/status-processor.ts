// sms-status worker logic: a CXone delivery-status event moves the message's state.
// Duplicates, late and out-of-order events are harmless: the state machine only moves
// forward. An event for a message whose dispatch is not recorded yet (the webhook beat our
// own write, or the send's answer was lost) is parked under its CXone id and applied when
// the dispatch is recorded: nothing depends on how long this job would retry.
import type { AuditLog } from '../audit.ts';
import { maskPhone } from '../mask.ts';
import type { MessageState } from '../domain/sms/message-state.ts';
import type { Processor } from '../queues/define-worker.ts';
import type { MessageStore } from './message-store.ts';

// CXone's "queued" means queued at CXone: for us the message has been dispatched.
export const FROM_CXONE: Record<string, MessageState> = {
  queued: 'dispatched',
  sent: 'sent',
  delivered: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
};

export function createSmsStatusProcessor(deps: { store: MessageStore; audit: AuditLog }): Processor<'smsStatus'> {
  return async (data, ctx) => {
    const next = FROM_CXONE[data.status]!;
    const at = Date.parse(data.timestamp);
    const result = await deps.store.applyReceipt(data.messageId, next, {
      at: Number.isNaN(at) ? data.receivedAt : at,
      ...(data.error?.code ? { lastError: data.error.code } : {}),
    });
    const messageId = result.messageId;
    if (result.parked || !messageId) {
      await deps.audit.append({ kind: 'sms.status', accountId: data.accountId, cxoneId: data.messageId, status: data.status, errorCode: data.error?.code });
      ctx.log.info({ cxoneId: data.messageId, status: data.status }, 'receipt before its dispatch was recorded: parked until it is');
      return { parked: true };
    }
    const msg = await deps.store.getMessage(messageId);
    await deps.audit.append({
      kind: 'sms.status',
      accountId: data.accountId,
      campaignId: msg?.campaignId,
      recipient: msg ? maskPhone(msg.to) : undefined,
      messageId,
      cxoneId: data.messageId,
      status: data.status,
      latencyMs: msg?.dispatchedAt ? Math.max(0, data.receivedAt - msg.dispatchedAt) : undefined,
      errorCode: data.error?.code,
    });
    ctx.log.debug({ messageId, status: data.status, changed: result.changed, state: result.to }, 'delivery status applied');
    return { state: result.to, changed: result.changed };
  };
}
