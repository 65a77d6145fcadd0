// sms-send worker logic. A job carries one message or a chunk of one batch's messages; each
// message is sent in order with its own CXone call and idempotency key, and keeps its own
// state. Only a 'queued' message is sent: one already dispatched (a re-run after a crash),
// settled or `unknown` is not (a replay reopens it to 'queued' first); an expired one is
// never sent late; an opt-out that arrived after intake still wins.
//
// A chunk exists to share the job's cost (one BullMQ job, one state read, one wake-up)
// among its messages, not their fate: a message whose attempt fails goes on as a job of its
// own, with the attempts and backoff every message has, and the chunk carries on with the
// next. A 429 or Redis trouble sends the whole chunk back without spending an attempt; its
// re-run skips what it sent already.
import { auditEntry } from '../audit.ts';
import { maskPhone } from '../mask.ts';
import type { CxoneClient } from '../cxone/http.ts';
import { isOutcomeUnknown, sendSms } from '../cxone/sms.ts';
import { ErrorCode, isFleetError } from '../errors.ts';
import { isDeferral } from '../queues/outcome.ts';
import { StepWait } from '../queues/step-job.ts';
import type { JobContext, Processor } from '../queues/define-worker.ts';
import type { SmsMessageData } from '../queues/payloads.ts';
import type { ConsentStore } from './consent-store.ts';
import { createDispatchRecorder } from './dispatch-recorder.ts';
import type { MessageStore, SendState, TransitionFields, TransitionItem } from './message-store.ts';

export interface SmsSendDeps {
  client: CxoneClient;
  store: MessageStore;
  consent: ConsentStore;
  /** Adds the job a chunk hands a failed message to (the message's own id is its job id). */
  handOff: (message: SmsMessageData, failedAttempts: number) => Promise<void>;
  now?: () => number;
}

type Outcome = { skipped: string } | { expired: true; unknown?: true } | { rejected: 'opted-out' } | { cxoneId: string };

/** How long a process's chunks gather their dispatches before recording them in one step. */
const RECORD_WINDOW_MS = 100;

/** Records a dispatch of `message`: at once (a job of one message), or with the process's others (a chunk). */
type RecordDispatch = (item: TransitionItem, message: SmsMessageData) => Promise<void>;

/** What a job that ended well sent and recorded, kept for the check after its completion. */
interface Finished {
  batchId: string;
  messages: readonly SmsMessageData[];
  recorded: Map<string, TransitionItem>;
  chunk: boolean;
  forget?: NodeJS.Timeout;
}

/**
 * A job whose completion never comes (its lock was lost; it runs again elsewhere) is
 * forgotten after this long: longer than a completion can wait out a Redis outage.
 */
const FINISHED_KEPT_MS = 10 * 60_000;

export function createSmsSendProcessor(deps: SmsSendDeps): Processor<'smsSend'> {
  const now = deps.now ?? Date.now;
  const recorder = createDispatchRecorder(deps.store, RECORD_WINDOW_MS);

  /**
   * One message's attempt, from its state as read before. A failed attempt is recorded
   * (`onFailure` may add fields to that record) and its error thrown.
   */
  async function sendOne(data: SmsMessageData, state: SendState, attempt: number, ctx: JobContext, recordDispatch: RecordDispatch, onFailure?: () => Promise<TransitionFields>): Promise<Outcome> {
    const base = { accountId: data.accountId, campaignId: data.campaignId, recipient: maskPhone(data.to), messageId: data.messageId, attempt };
    const batch = { batchId: data.batchId };
    // The attempt's audit record goes in the same script as the transition it reports.
    const audited = (record: Omit<Parameters<typeof auditEntry>[0], keyof typeof base>) => ({ ...batch, audit: auditEntry({ ...base, ...record }) });
    const { current, optedOut } = state;
    if (current && (current.cxoneId || current.state !== 'queued')) {
      ctx.log.info({ messageId: data.messageId, state: current.state }, 'already handled: not sending again');
      return { skipped: current.state };
    }
    if (now() > data.notAfter) {
      if (current?.maybeSent) {
        // An earlier attempt may have reached CXone: not `expired` (it may be on its way),
        // `unknown`, for reconciliation to settle; never sent late either way.
        await deps.store.transition(data.messageId, 'unknown', { lastError: 'validity passed after an attempt that may have reached CXone', attempts: attempt }, batch);
        return { expired: true, unknown: true };
      }
      await deps.store.transition(data.messageId, 'expired', { lastError: 'validity period passed before send', attempts: attempt }, audited({ kind: 'sms.dispatch', status: 'expired', errorCode: 'EXPIRED' }));
      return { expired: true };
    }
    if (optedOut) {
      await deps.store.transition(data.messageId, 'rejected', { lastError: 'recipient opted out', attempts: attempt }, audited({ kind: 'sms.dispatch', status: 'rejected', errorCode: 'OPTED_OUT' }));
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
      const dispatched = { cxoneId: res.messageId, latencyMs: res.latencyMs };
      const { audit } = audited({ kind: 'sms.dispatch', status: 'dispatched', ...dispatched });
      await recordDispatch({ messageId: data.messageId, next: 'dispatched', fields: { ...dispatched, attempts: attempt }, audit }, data);
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
      const audit = audited({ kind: 'sms.dispatch', status: 'error', latencyMs, errorCode: code });
      const extra = (await onFailure?.()) ?? {};
      await deps.store.transition(data.messageId, 'queued', { lastError: code, attempts: attempt, maybeSent: isOutcomeUnknown(err), ...extra }, audit);
      throw err;
    }
  }

  const finished = new Map<string, Finished>();
  const keepUntilCompleted = (jobId: string, f: Finished) => {
    clearTimeout(finished.get(jobId)?.forget);
    f.forget = setTimeout(() => finished.get(jobId) === f && finished.delete(jobId), FINISHED_KEPT_MS).unref();
    finished.set(jobId, f);
  };

  /**
   * A Redis that lost its last writes (a host crash, a failover to a replica behind) may
   * have forgotten what a job recorded while the job's completion, sent after Redis came
   * back, was kept: nothing would run the job again. So once BullMQ has completed it, its
   * messages are read back: a forgotten dispatch is recorded again from what CXone answered,
   * and a chunk's message still queued under the chunk (its hand-off was forgotten) goes to
   * a job of its own, which sends it under its idempotency key.
   */
  async function afterCompleted(jobId: string): Promise<void> {
    const f = finished.get(jobId);
    if (!f) return;
    finished.delete(jobId);
    clearTimeout(f.forget);
    const states = await deps.store.sendStates(deps.consent.optOutKey, f.messages);
    const forgotten: TransitionItem[] = [];
    const stranded: SmsMessageData[] = [];
    f.messages.forEach((m, i) => {
      const s = states[i]!.current;
      if (!s || s.cxoneId || s.state !== 'queued') return;
      const item = f.recorded.get(m.messageId);
      if (item) forgotten.push(item);
      else if (f.chunk && s.job === jobId) stranded.push(m);
    });
    if (forgotten.length > 0) await deps.store.transitionMany(f.batchId, forgotten);
    for (const m of stranded) {
      // Its hand-off was for an attempt that failed in the chunk: that attempt counts.
      await deps.handOff(m, 1);
      await deps.store.transition(m.messageId, 'queued', { job: m.messageId }, { batchId: f.batchId });
    }
  }

  const processor: Processor<'smsSend'> = async (data, ctx) => {
    const jobId = String(ctx.job.id);
    if (data.kind !== 'chunk') {
      const [state] = await deps.store.sendStates(deps.consent.optOutKey, [data]);
      const recorded = new Map<string, TransitionItem>();
      const record: RecordDispatch = async (item) => {
        await deps.store.transition(item.messageId, item.next, item.fields, { batchId: data.batchId, audit: item.audit });
        recorded.set(item.messageId, item);
      };
      const outcome = await sendOne(data, state!, ctx.attempt + (data.priorAttempts ?? 0), ctx, record);
      if (recorded.size > 0) keepUntilCompleted(jobId, { batchId: data.batchId, messages: [data], recorded, chunk: false });
      return outcome;
    }
    const states = await deps.store.sendStates(deps.consent.optOutKey, data.messages);
    const tally = { sent: 0, skipped: 0, handedOff: 0 };
    const written: Promise<void>[] = [];
    const recorded = new Map<string, TransitionItem>();
    const record: RecordDispatch = (item) => {
      written.push(recorder.record(data.batchId, item));
      recorded.set(item.messageId, item);
      return Promise.resolve();
    };
    try {
      for (const [i, message] of data.messages.entries()) {
        // A closing worker finishes the message in hand, not the chunk: the rest goes back
        // to the queue (no attempt spent) for another worker, and the shutdown stays short.
        if (ctx.stopping?.()) {
          await ctx.job.moveToDelayed(Date.now(), ctx.token);
          throw new StepWait('shutdown', 0);
        }
        const state = states[i]!;
        // Handed to a job of its own by an earlier run of this chunk: that job sends it.
        if (state.current && state.current.job !== jobId) {
          tally.skipped++;
          continue;
        }
        try {
          const outcome = await sendOne(message, state, ctx.attempt, ctx, record, async () => {
            // The job first, then the record that names it: a crash in between leaves the
            // message to this chunk's re-run, never to a job that does not exist.
            await deps.handOff(message, ctx.attempt);
            return { job: message.messageId };
          });
          if ('cxoneId' in outcome) tally.sent++;
          else tally.skipped++;
        } catch (err) {
          if (isDeferral(err)) throw err;
          tally.handedOff++;
        }
      }
    } finally {
      // Sent back or done, what went out is recorded (if Redis takes it: if not, the re-run
      // sends those again under their keys).
      await Promise.all(written);
    }
    keepUntilCompleted(jobId, { batchId: data.batchId, messages: data.messages, recorded, chunk: true });
    return tally;
  };
  processor.afterCompleted = afterCompleted;

  // The job will not be retried. If any attempt may have reached CXone the outcome is
  // `unknown` (reconciliation asks CXone); otherwise a permanent refusal is `rejected` and
  // anything else that ran out of attempts (5xx, connect failures, 429s past the restart
  // cap) is `failed`: CXone refused it, nothing was sent. A chunk hands its failures on as
  // they happen, so only a chunk that failed as a whole (a payload that does not parse
  // never gets here) leaves messages behind: they stay `queued` for a replay.
  processor.onFinalFailure = async (data, err, ctx) => {
    if (data.kind === 'chunk') return;
    const attempt = ctx.attempt + (data.priorAttempts ?? 0);
    const code = isFleetError(err) ? err.code : 'UNEXPECTED';
    // A job failed for stalling: its process died under it, maybe after CXone took the message.
    const stalled = isFleetError(err) && err.code === ErrorCode.Stalled;
    const maybeSent = stalled || isOutcomeUnknown(err) || (await deps.store.getMessage(data.messageId))?.maybeSent === true;
    const status = maybeSent ? 'unknown' : isFleetError(err) && !err.retryable ? 'rejected' : 'failed';
    const recipient = maskPhone(data.to);
    const audit = auditEntry({ kind: 'sms.dispatch', accountId: data.accountId, campaignId: data.campaignId, recipient, messageId: data.messageId, attempt, status, errorCode: code });
    await deps.store.transition(data.messageId, status, { lastError: code, attempts: attempt }, { batchId: data.batchId, audit });
  };
  return processor;
}
