// What a chaos round measures once its batch has settled, from three independent sources:
// CXone's side (the simulator's counters), the fleet's message records, and the BullMQ jobs.
import type { Job } from 'bullmq';
import { isTerminal, MESSAGE_STATES, type MessageState } from '../../src/domain/sms/message-state.ts';
import type { SimulatorStats } from '../../src/simulator/server.ts';
import type { MessageRecord } from '../../src/sms/message-store.ts';
import { messageIdFor } from '../../src/sms/prepare-chunk.ts';
import type { Stage } from './stage.ts';
import { BATCH_ID } from './stage.ts';

/** States in which the fleet says, on the record, that the message did not go out. */
const NOT_SENT: readonly MessageState[] = ['failed', 'rejected', 'expired'];

export interface RoundFigures {
  messages: number;
  /** Distinct recipients CXone accepted a message for. */
  atCxone: number;
  /**
   * Messages neither at CXone nor recorded as not sent (failed, rejected, expired): gone
   * without a trace. Must be 0 in every round.
   */
  lost: number;
  /** Messages the fleet recorded as not sent (failed after its attempts, say); replayable. */
  reportedNotSent: number;
  /** Messages whose record holds a CXone id, against atCxone: the two must agree. */
  withCxoneId: number;
  /** Recipients CXone accepted a message for more than once. Must be 0. */
  repeatedRecipients: number;
  /** Sends CXone recognised by their idempotency key and did not send again (a keyed resend). */
  keyedResends: number;
  /** Sends that reached CXone without an idempotency key (a blind resend could not be told apart). Must be 0. */
  unkeyedSends: number;
  /** Messages in a state that is not terminal once the round ends. Must be 0. */
  notTerminal: number;
  /**
   * Attempts spent beyond each sms-send job's first: sum over the batch's jobs of
   * (attemptsMade - 1), attemptsMade being BullMQ's count of attempts that ended in a
   * completion or a failure, plus the attempts a chunk spent on the messages it handed to
   * jobs of their own. A 429 deferral or a stalled job taken over is not one.
   */
  sendAttemptsBeyondFirst: number;
  /** The same for the receipt jobs (sms-status). */
  receiptAttemptsBeyondFirst: number;
  /** Job starts that spent no attempt: stalled jobs taken over, 429 deferrals. */
  startsWithoutAttempt: number;
  /** sms-send jobs that ended failed (out of attempts). */
  failedJobs: number;
  receiptsDropped: number;
  /** Receipts the simulator gave up on after its retries (the ingress did not take them). */
  receiptsFailed: number;
  /** Reconciliation's questions to CXone: status reads by id, lookups by idempotency key. */
  statusReads: number;
  lookups: number;
  states: Partial<Record<MessageState, number>>;
}

async function messageRecords(stage: Stage): Promise<(MessageRecord | undefined)[]> {
  const ids = stage.numbers.map((_, i) => messageIdFor(BATCH_ID, i + 1));
  const out: (MessageRecord | undefined)[] = [];
  for (let i = 0; i < ids.length; i += 500) out.push(...(await Promise.all(ids.slice(i, i + 500).map((id) => stage.sms.store.getMessage(id)))));
  return out;
}

async function finishedJobs(stage: Stage, key: 'smsSend' | 'smsStatus'): Promise<{ all: Job[]; failed: number }> {
  const queue = stage.ctx.queues.get(key);
  const [completed, failed] = await Promise.all([queue.getJobs(['completed'], 0, -1), queue.getJobs(['failed'], 0, -1)]);
  return { all: [...completed, ...failed], failed: failed.length };
}

// A message a chunk handed to a job of its own had spent its first attempt in the chunk.
const beyondFirst = (jobs: Job[]) => jobs.reduce((n, j) => n + Math.max(0, j.attemptsMade - 1) + ((j.data as { priorAttempts?: number }).priorAttempts ?? 0), 0);

export async function measure(stage: Stage, sim: SimulatorStats): Promise<RoundFigures> {
  const records = await messageRecords(stage);
  const states: Partial<Record<MessageState, number>> = {};
  for (const r of records) if (r) states[r.state] = (states[r.state] ?? 0) + 1;
  const reportedNotSent = NOT_SENT.reduce((n, s) => n + (states[s] ?? 0), 0);
  const missingRecords = records.filter((r) => !r).length;
  const notTerminal = MESSAGE_STATES.filter((s) => !isTerminal(s)).reduce((n, s) => n + (states[s] ?? 0), 0) + missingRecords;
  const [sendJobs, receiptJobs] = await Promise.all([finishedJobs(stage, 'smsSend'), finishedJobs(stage, 'smsStatus')]);
  const atCxone = sim.sms.distinctRecipients;
  return {
    messages: stage.numbers.length,
    atCxone,
    lost: Math.max(0, stage.numbers.length - atCxone - reportedNotSent),
    reportedNotSent,
    withCxoneId: records.filter((r) => r?.cxoneId).length,
    repeatedRecipients: sim.sms.repeatedRecipients,
    keyedResends: sim.sms.duplicates,
    notTerminal,
    unkeyedSends: sim.sms.withoutIdempotencyKey,
    sendAttemptsBeyondFirst: beyondFirst(sendJobs.all),
    receiptAttemptsBeyondFirst: beyondFirst(receiptJobs.all),
    startsWithoutAttempt: [...sendJobs.all, ...receiptJobs.all].reduce((n, j) => n + Math.max(0, j.attemptsStarted - j.attemptsMade), 0),
    failedJobs: sendJobs.failed,
    receiptsDropped: sim.webhooks.dropped,
    receiptsFailed: sim.webhooks.failed,
    statusReads: sim.sms.statusReads,
    lookups: sim.sms.lookups,
    states,
  };
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/**
 * The round's assertions. `spendsAttempts`: CXone itself failed requests (see Round), so
 * attempts beyond the first are expected and reported, not asserted.
 */
export function checks(f: RoundFigures, spendsAttempts: boolean): Check[] {
  const list: Check[] = [
    { name: 'sends lost', ok: f.lost === 0, detail: `${f.lost} (at CXone ${f.atCxone}, recorded not sent ${f.reportedNotSent}, of ${f.messages})` },
    { name: 'records agree with CXone', ok: f.withCxoneId === f.atCxone, detail: `${f.withCxoneId} with a CXone id, ${f.atCxone} at CXone` },
    { name: 'repeated recipients at CXone', ok: f.repeatedRecipients === 0, detail: String(f.repeatedRecipients) },
    { name: 'sends without an idempotency key', ok: f.unkeyedSends === 0, detail: `${f.unkeyedSends} (keyed resends CXone absorbed: ${f.keyedResends})` },
    { name: 'messages not terminal', ok: f.notTerminal === 0, detail: String(f.notTerminal) },
  ];
  if (!spendsAttempts) {
    const spent = f.sendAttemptsBeyondFirst + f.receiptAttemptsBeyondFirst;
    list.push({ name: 'attempts spent on the fault', ok: spent === 0, detail: `${spent} (send ${f.sendAttemptsBeyondFirst}, receipt ${f.receiptAttemptsBeyondFirst})` });
  }
  return list;
}
