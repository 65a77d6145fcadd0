// The CPU part of intake for one chunk of rows: parse and validate every row, give each
// valid one its deterministic message id, and build and parse its send job's payload.
// Pure, so it runs the same in the producer's thread or in a validation thread beside it;
// there it takes the zod and libphonenumber work off the thread that talks to Redis.
import { validateSmsInput } from '../domain/sms/validate-message.ts';
import { ValidationError } from '../errors.ts';
import { parsePayload, type ParsedPayload } from '../queues/enqueue.ts';
import type { SmsMessageData } from '../queues/payloads.ts';
import type { Rejection } from './message-store.ts';
import { contentHashOf } from './repeat-guard.ts';

export interface IntakeRow {
  /** 1-based position in the caller's input (data rows, header excluded). */
  row: number;
  input: unknown;
  /** Set when the row could not even be parsed (bad JSON line, ragged CSV row). */
  parseError?: string;
}

/** What every send job of the batch carries besides its row. */
export interface SendJobDefaults {
  accountId: string;
  requestId?: string | undefined;
  /** How long after its send time an unsent message expires. */
  validityMs: number;
  webhookUrl?: string | undefined;
  /** "Now" for this chunk: messages without a send time are due at it. */
  nowMs: number;
}

export interface ChunkContext {
  batchId: string;
  defaultRegion: string;
  maxSegments: number;
  defaults?: { from?: string; campaignId?: string } | undefined;
  job: SendJobDefaults;
}

export interface PreparedMessage {
  row: number;
  messageId: string;
  /** Epoch ms when the row asked for a later send. */
  sendAt?: number;
  /** Recipient, sender and text, hashed: what the duplicate window compares. */
  contentHash: string;
  payload: SmsMessageData;
}

export interface PreparedChunk {
  chunk: IntakeRow[];
  rejections: Rejection[];
  valid: PreparedMessage[];
}

/** Deterministic: a resubmitted row or ref maps to the same message and the same job. */
export function messageIdFor(batchId: string, row: number, ref?: string): string {
  // BullMQ job ids may not contain ':'; refs may.
  return ref ? `ref-${ref.replace(/:/g, '%3A')}` : `${batchId}.${row}`;
}

export function prepareChunk(chunk: IntakeRow[], ctx: ChunkContext): PreparedChunk {
  const rejections: Rejection[] = [];
  const valid: PreparedMessage[] = [];
  const { job } = ctx;
  for (const r of chunk) {
    if (r.parseError) {
      rejections.push({ row: r.row, reasons: [{ field: '(row)', message: r.parseError }] });
      continue;
    }
    const v = validateSmsInput(r.input, { defaultRegion: ctx.defaultRegion, maxSegments: ctx.maxSegments, defaults: ctx.defaults });
    if (!v.ok) {
      const to = typeof (r.input as { to?: unknown })?.to === 'string' ? (r.input as { to: string }).to : undefined;
      rejections.push({ row: r.row, to, reasons: v.reasons });
      continue;
    }
    const m = v.message;
    const messageId = messageIdFor(ctx.batchId, r.row, m.ref);
    try {
      // Without `kind: 'chunk'` the queue's schema parses it as one message.
      const payload = parsePayload('smsSend', {
        accountId: job.accountId,
        requestId: job.requestId,
        batchId: ctx.batchId,
        messageId,
        idempotencyKey: messageId,
        to: m.to,
        from: m.from,
        text: m.text,
        campaignId: m.campaignId,
        priority: m.priority,
        encoding: m.encoding,
        segments: m.segments,
        notAfter: (m.sendAt ?? job.nowMs) + job.validityMs,
        ...(job.webhookUrl ? { webhookUrl: job.webhookUrl } : {}),
      }) as SmsMessageData;
      const contentHash = contentHashOf(m.to, m.from, m.text);
      valid.push({ row: r.row, messageId, contentHash, ...(m.sendAt !== undefined ? { sendAt: m.sendAt } : {}), payload });
    } catch (err) {
      // Row validation keeps its limits equal to the payload's, so this is a bug to see,
      // reported on the row like any other problem rather than lost.
      if (!(err instanceof ValidationError)) throw err;
      rejections.push({ row: r.row, to: m.to, reasons: err.issues.map((i) => ({ field: i.path || '(payload)', message: i.message })) });
    }
  }
  return { chunk, rejections, valid };
}

/**
 * Which send job carries each message, in order: messages of one lane and one send time
 * share jobs of up to `perJob`; a one-time password is a job of its own (a chunk sends in
 * order, and an OTP must not wait behind the ones before it). A job of one message has the
 * message's id; a chunk's id names its batch, first row and size.
 */
export function assignSendJobs(batchId: string, messages: readonly PreparedMessage[], perJob: number): string[] {
  const jobs: string[] = new Array<string>(messages.length);
  const lanes = new Map<string, number[]>();
  messages.forEach((m, i) => {
    if (m.payload.priority === 'otp' || perJob <= 1) {
      jobs[i] = m.messageId;
      return;
    }
    const lane = `${m.payload.priority}@${m.sendAt ?? ''}`;
    const members = lanes.get(lane) ?? [];
    members.push(i);
    lanes.set(lane, members);
  });
  for (const members of lanes.values()) {
    for (let at = 0; at < members.length; at += perJob) {
      const run = members.slice(at, at + perJob);
      const first = messages[run[0]!]!;
      const id = run.length === 1 ? first.messageId : `${batchId}.${first.row}+${run.length}`;
      for (const i of run) jobs[i] = id;
    }
  }
  return jobs;
}

/** A send job's payload for messages parsed already: one message as it is, several as a chunk. */
export function sendJobPayload(jobId: string, messages: readonly SmsMessageData[]): ParsedPayload<'smsSend'> {
  const [first] = messages;
  if (!first) throw new Error(`send job ${jobId} has no message`);
  if (messages.length === 1 && first.messageId === jobId) return first as ParsedPayload<'smsSend'>;
  const chunk = { accountId: first.accountId, ...(first.requestId ? { requestId: first.requestId } : {}), kind: 'chunk' as const, batchId: first.batchId, messages: [...messages] };
  return chunk as ParsedPayload<'smsSend'>;
}
