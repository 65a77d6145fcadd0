// sms-send worker logic: one message, one CXone call, with the message's idempotency key on
// every attempt. Only a 'queued' message is sent: one already dispatched (a re-run after a
// crash), settled or `unknown` is not (a replay reopens it to 'queued' first); an expired
// one is never sent late; an opt-out that arrived after intake still wins.
import type { AuditLog } from '../audit.ts';
import { maskPhone } from '../mask.ts';
import type { CxoneClient } from '../cxone/http.ts';
import { isOutcomeUnknown, sendSms } from '../cxone/sms.ts';
import { isFleetError } from '../errors.ts';
import { isDeferral } from '../queues/outcome.ts';
import type { Processor } from '../queues/define-worker.ts';
import type { ConsentStore } from './consent-store.ts';
import type { MessageStore } from './message-store.ts';

export interface SmsSendDeps {
  client: CxoneClient;
  store: MessageStore;
  consent: ConsentStore;
  audit: AuditLog;
  now?: () => number;
}

export function createSmsSendProcessor(deps: SmsSendDeps): Processor<'smsSend'> {
  const now = deps.now ?? Date.now;
  const processor: Processor<'smsSend'> = async (data, ctx) => {
    const base = { accountId: data.accountId, campaignId: data.campaignId, recipient: maskPhone(data.to), messageId: data.messageId, attempt: ctx.attempt };
    const [current, optedOut] = await Promise.all([deps.store.sendState(data.messageId), deps.consent.isOptedOut(data.to)]);
    if (current && (current.cxoneId || current.state !== 'queued')) {
      ctx.log.info({ messageId: data.messageId, state: current.state }, 'already handled: not sending again');
      return { skipped: current.state };
    }
    if (now() > data.notAfter) {
      if (current?.maybeSent) {
        // An earlier attempt may have reached CXone: not `expired` (it may be on its way),
        // `unknown`, for reconciliation to settle; never sent late either way.
        await deps.store.transition(data.messageId, 'unknown', { lastError: 'validity passed after an attempt that may have reached CXone', attempts: ctx.attempt });
        return { expired: true, unknown: true };
      }
      await deps.store.transition(data.messageId, 'expired', { lastError: 'validity period passed before send', attempts: ctx.attempt });
      await deps.audit.append({ ...base, kind: 'sms.dispatch', status: 'expired', errorCode: 'EXPIRED' });
      return { expired: true };
    }
    if (optedOut) {
      await deps.store.transition(data.messageId, 'rejected', { lastError: 'recipient opted out', attempts: ctx.attempt });
      await deps.audit.append({ ...base, kind: 'sms.dispatch', status: 'rejected', errorCode: 'OPTED_OUT' });
      return { rejected: 'opted-out' };
    }

    const started = performance.now();
    try {
      const res = await sendSms(deps.client, {
        to: [data.to],
        from: data.from,
        text: data.text,
        campaignId: data.campaignId,
        webhookUrl: data.webhookUrl,
        idempotencyKey: data.idempotencyKey,
        signal: ctx.signal,
      });
      // The CXone call alone: time spent waiting for the account's budget is not latency.
      const latencyMs = res.latencyMs;
      await Promise.all([
        deps.store.transition(data.messageId, 'dispatched', { cxoneId: res.messageId, latencyMs, attempts: ctx.attempt }),
        deps.audit.append({ ...base, kind: 'sms.dispatch', status: 'dispatched', cxoneId: res.messageId, latencyMs }),
      ]);
      return { cxoneId: res.messageId };
    } catch (err) {
      const latencyMs = Math.round(performance.now() - started);
      // Deferred (429, or Redis failing under the store or the limiter), not an attempt: nothing
      // to record, and with Redis failing nothing could be. A send that reached CXone before the
      // store failed is sent again under the same Idempotency-Key, which CXone answers once.
      if (isDeferral(err)) throw err;
      // This attempt failed; whether it was the last is the queue's call (onFinalFailure).
      const code = isFleetError(err) ? err.code : 'UNEXPECTED';
      // An attempt that may have reached CXone is remembered: if none succeeds after it, the
      // message is `unknown` (reconciled), never `failed`.
      await deps.store.transition(data.messageId, 'queued', { lastError: code, attempts: ctx.attempt, maybeSent: isOutcomeUnknown(err) });
      await deps.audit.append({ ...base, kind: 'sms.dispatch', status: 'error', latencyMs, errorCode: code });
      throw err;
    }
  };
  // The job will not be retried. If any attempt may have reached CXone the outcome is
  // `unknown` (reconciliation asks CXone); otherwise a permanent refusal is `rejected` and
  // anything else that ran out of attempts (5xx, connect failures, 429s past the restart
  // cap) is `failed`: CXone refused it, nothing was sent.
  processor.onFinalFailure = async (data, err, ctx) => {
    const code = isFleetError(err) ? err.code : 'UNEXPECTED';
    const maybeSent = isOutcomeUnknown(err) || (await deps.store.getMessage(data.messageId))?.maybeSent === true;
    const status = maybeSent ? 'unknown' : isFleetError(err) && !err.retryable ? 'rejected' : 'failed';
    await deps.store.transition(data.messageId, status, { lastError: code, attempts: ctx.attempt });
    await deps.audit.append({
      kind: 'sms.dispatch',
      accountId: data.accountId,
      campaignId: data.campaignId,
      recipient: maskPhone(data.to),
      messageId: data.messageId,
      attempt: ctx.attempt,
      status,
      errorCode: code,
    });
  };
  return processor;
}
