// One path for every SMS producer (CLI, HTTP API, library): validate each row on its own,
// check consent and the duplicate window, create the message records, and enqueue with
// addBulk in chunks. A bad row is reported with its reasons and never stops the rest of
// the batch. Every write is idempotent per row, so a batch can be submitted again with the
// same id (a resumed file, a retried request) and only what never went out goes out, and
// a chunk is written again when Redis stalls instead of ending the batch halfway.
import type { Enqueuer } from '../queues/enqueue.ts';
import { SMS_CHUNK_MAX } from '../queues/payloads.ts';
import type { ConsentStore } from './consent-store.ts';
import type { Created, MessageStore, NewMessage, Rejection, RowOutcome } from './message-store.ts';
import { assignSendJobs, sendJobPayload, type ChunkContext, type IntakeRow, type PreparedChunk, type PreparedMessage } from './prepare-chunk.ts';
import { SMS_PRIORITY_LANE } from './queues.ts';
import type { RepeatGuard } from './repeat-guard.ts';
import { inlineValidator, type RowValidator } from './row-validator.ts';
import { retryWhileRedisStalls, type StallPolicy } from './stall-retry.ts';

export type { IntakeRow } from './prepare-chunk.ts';
export { messageIdFor } from './prepare-chunk.ts';

export interface RowVerdict {
  row: number;
  to?: string;
  valid: boolean;
  reason?: string;
  encoding?: string;
  segments?: number;
  messageId?: string;
}

export interface BatchSummary {
  batchId: string;
  total: number;
  /** Rows this submission accepted for sending. */
  accepted: number;
  rejected: number;
  /** Valid rows not accepted now: repeated refs, and rows accepted by an earlier submission. */
  duplicates: number;
  /** Of the duplicates, rows this batch had accepted before (a resume or a replay). */
  resumed: number;
  segments: number;
  rejectedByReason: Record<string, number>;
}

export interface IntakeOptions {
  batchId: string;
  defaults?: { from?: string; campaignId?: string };
  dryRun?: boolean;
  /** Send a message even if the duplicate window has seen it (this batch only). */
  allowRepeat?: boolean;
  chunkSize?: number;
  requestId?: string;
  onRow?: (v: RowVerdict) => void;
  /** Called after each chunk; awaited, so a caller can apply backpressure (stdout drain). */
  onProgress?: (processed: number) => void | Promise<void>;
  /** Told while Redis does not answer and the intake waits for it. */
  onStall?: StallPolicy['onStall'];
  /** Where rows are validated (default: this thread). */
  validator?: RowValidator;
}

export interface SmsIntakeDeps {
  enqueuer: Enqueuer;
  store: MessageStore;
  consent: ConsentStore;
  /** The duplicate window; none: no window. */
  repeatGuard?: RepeatGuard;
  accountId: string;
  defaultRegion: string;
  maxSegments: number;
  validityMs: number;
  webhookUrl?: string;
  /** Messages a send job carries (1: a job per message). */
  messagesPerJob?: number;
  /** How long a Redis stall is waited out before the intake fails (default 60 s). */
  stallBudgetMs?: number;
  now?: () => number;
}

// Chunks whose writes may overlap. Each chunk's writes are a few round trips, and BullMQ's
// addBulk keeps this thread busy packing jobs while Redis runs the previous chunk's
// scripts: with eight in flight neither waits on the other (two left both idle a third of
// the time; bench/sms.bench.ts). Memory stays bounded: at most 8 x chunkSize rows.
const CHUNKS_IN_FLIGHT = 8;

/** How a rejection is counted: by its first reason, duplicates all under one. */
export function reasonKeyOf(r: Rejection): string {
  const first = r.reasons[0];
  if (!first) return 'unknown';
  return first.message.startsWith('duplicate of ') ? `${first.field}: duplicate within the duplicate window` : `${first.field}: ${first.message}`;
}

/** What a chunk's writes decided: rows refused at this stage, and each sendable row's outcome. */
interface Stored {
  refused: Rejection[];
  sendable: PreparedMessage[];
  outcomes: Created[] | undefined;
}

export function createSmsIntake(deps: SmsIntakeDeps) {
  const now = deps.now ?? Date.now;
  const stallBudgetMs = deps.stallBudgetMs ?? 60_000;
  const messagesPerJob = Math.min(SMS_CHUNK_MAX, Math.max(1, deps.messagesPerJob ?? 1));

  /** Consent, then the duplicate window: the rows that may be sent, and why the others may not. */
  async function screen(valid: PreparedMessage[], opts: IntakeOptions) {
    const refused: Rejection[] = [];
    const verdicts = await deps.consent.verdicts(valid.map((v) => v.payload.to));
    const consented = valid.filter((v, i) => {
      const verdict = verdicts[i];
      if (verdict === 'opted-in') return true;
      const message = verdict === 'opted-out' ? 'recipient opted out' : 'no SMS consent on record (add it: cxone-fleet sms consent add <number>, or consent import <file>)';
      refused.push({ row: v.row, to: v.payload.to, reasons: [{ field: 'to', message }] });
      return false;
    });
    if (!deps.repeatGuard || opts.allowRepeat || consented.length === 0) return { refused, sendable: consented };
    const guard = deps.repeatGuard;
    const holders = await (opts.dryRun ? guard.peek : guard.claim)(opts.batchId, consented);
    const window = guard.windowS % 3600 === 0 ? `${guard.windowS / 3600} h` : `${guard.windowS} s`;
    const sendable = consented.filter((v, i) => {
      const holder = holders[i];
      if (holder === undefined) return true;
      refused.push({
        row: v.row,
        to: v.payload.to,
        reasons: [{ field: 'to', message: `duplicate of ${holder} (same recipient, sender and text within ${window}; allow-repeat sends it anyway)` }],
      });
      return false;
    });
    return { refused, sendable };
  }

  /** The writes of a chunk: consent, window, message records, jobs. Chunks may overlap here. */
  async function store({ valid }: PreparedChunk, opts: IntakeOptions): Promise<Stored> {
    const { refused, sendable } = await screen(valid, opts);
    // A dry run creates nothing: every sendable row counts as it would be accepted.
    if (opts.dryRun || sendable.length === 0) return { refused, sendable, outcomes: undefined };

    const jobs = assignSendJobs(opts.batchId, sendable, messagesPerJob);
    const records: NewMessage[] = sendable.map(({ row, messageId, payload: p }, i) => ({
      messageId,
      row,
      to: p.to,
      campaignId: p.campaignId,
      encoding: p.encoding,
      segments: p.segments,
      priority: p.priority,
      job: jobs[i]!,
    }));
    const outcomes = await deps.store.createMessages(opts.batchId, records);
    // Unsent ones are enqueued again too, in the job their record names: their earlier
    // intake may have failed before its jobs were added, and the job id makes a second add
    // of a live job a no-op (so a message is never in two live jobs).
    const byJob = new Map<string, PreparedMessage[]>();
    sendable.forEach((v, i) => {
      const o = outcomes[i]!;
      if (o.outcome !== 'created' && o.outcome !== 'unsent') return;
      const members = byJob.get(o.job) ?? [];
      members.push(v);
      byJob.set(o.job, members);
    });
    const nowMs = now();
    const items = [...byJob].map(([jobId, members]) => {
      const first = members[0]!;
      return {
        data: sendJobPayload(jobId, members.map((m) => m.payload)),
        opts: {
          jobId,
          priority: SMS_PRIORITY_LANE[first.payload.priority],
          ...(first.sendAt !== undefined && first.sendAt > nowMs ? { delay: first.sendAt - nowMs } : {}),
        },
      };
    });
    await deps.enqueuer.addParsedBulk('smsSend', items, 500);
    return { refused, sendable, outcomes };
  }

  /** What a chunk did, reported strictly in row order: per-row verdicts, figures. */
  async function report(prepared: PreparedChunk, stored: Stored, opts: IntakeOptions, summary: BatchSummary) {
    const { chunk, valid } = prepared;
    const rejections = [...prepared.rejections, ...stored.refused].sort((a, b) => a.row - b.row);
    const rejectedRows = new Map(rejections.map((r) => [r.row, r]));
    const validRows = new Map(valid.map((v) => [v.row, v]));
    for (const r of chunk) {
      const rej = rejectedRows.get(r.row);
      const ok = validRows.get(r.row);
      opts.onRow?.({
        row: r.row,
        to: ok?.payload.to ?? rej?.to,
        valid: !rej,
        ...(rej ? { reason: rej.reasons.map((x) => `${x.field}: ${x.message}`).join('; ') } : {}),
        ...(ok ? { encoding: ok.payload.encoding, segments: ok.payload.segments, messageId: ok.messageId } : {}),
      });
    }

    // A sendable row is the batch's (accepted) unless it is another row's message.
    const { sendable, outcomes } = stored;
    const isOwn = (i: number) => outcomes === undefined || outcomes[i]!.outcome !== 'duplicate';
    const outcomesOfRows: RowOutcome[] = [
      ...sendable.map((v, i): RowOutcome => (isOwn(i) ? { row: v.row, kind: 'accepted', segments: v.payload.segments } : { row: v.row, kind: 'duplicate' })),
      ...rejections.map((r): RowOutcome => ({ row: r.row, kind: 'rejected', rejection: r, reason: reasonKeyOf(r) })),
    ];
    // Counted now or by an earlier submission of the batch (a dry run counts everything now).
    const fresh = opts.dryRun
      ? outcomesOfRows.map(() => true)
      : await retryWhileRedisStalls(() => deps.store.recordIntake(opts.batchId, outcomesOfRows), { budgetMs: stallBudgetMs, onStall: opts.onStall });
    outcomesOfRows.forEach((o, i) => {
      if (o.kind === 'accepted' && fresh[i]) {
        summary.accepted++;
        summary.segments += o.segments;
      } else if (o.kind !== 'rejected') {
        summary.duplicates++;
        if (o.kind === 'accepted') summary.resumed++;
      }
    });
    summary.total += chunk.length;
    summary.rejected += rejections.length;
    for (const r of rejections) {
      const reason = reasonKeyOf(r);
      summary.rejectedByReason[reason] = (summary.rejectedByReason[reason] ?? 0) + 1;
    }
  }

  return {
    /** Streams rows through validation and enqueue, `chunkSize` rows at a time. */
    async submit(rows: AsyncIterable<IntakeRow> | Iterable<IntakeRow>, opts: IntakeOptions): Promise<BatchSummary> {
      const summary: BatchSummary = { batchId: opts.batchId, total: 0, accepted: 0, rejected: 0, duplicates: 0, resumed: 0, segments: 0, rejectedByReason: {} };
      const size = opts.chunkSize ?? 1000;
      const stall: StallPolicy = { budgetMs: stallBudgetMs, onStall: opts.onStall };
      // The batch exists (`sms status` finds it) before its first message is written.
      if (!opts.dryRun) await retryWhileRedisStalls(() => deps.store.recordIntake(opts.batchId, []), stall);
      // Validation of this chunk (in a thread, or here) overlaps the writes of the chunks
      // before it, and the writes of several chunks overlap each other, since every write
      // is a round trip Redis would otherwise wait on; reports stay in row order.
      const validator = opts.validator ?? inlineValidator;
      const ctx = (): ChunkContext => ({
        batchId: opts.batchId,
        defaultRegion: deps.defaultRegion,
        maxSegments: deps.maxSegments,
        defaults: opts.defaults,
        job: { accountId: deps.accountId, requestId: opts.requestId, validityMs: deps.validityMs, webhookUrl: deps.webhookUrl, nowMs: now() },
      });
      let reported: Promise<void> = Promise.resolve();
      const inFlight: Promise<void>[] = [];
      const flush = async (chunk: IntakeRow[]) => {
        const prepared = await validator.prepare(chunk, ctx());
        while (inFlight.length >= CHUNKS_IN_FLIGHT) await inFlight.shift();
        const stored = retryWhileRedisStalls(() => store(prepared, opts), stall);
        const previous = reported;
        reported = Promise.all([stored, previous])
          .then(([result]) => report(prepared, result, opts, summary))
          .then(() => opts.onProgress?.(summary.total));
        // Handled here so a failure while the next chunk is read is not "unhandled"; the
        // awaits below still throw it.
        reported.catch(() => undefined);
        inFlight.push(reported);
      };
      let chunk: IntakeRow[] = [];
      for await (const r of rows) {
        chunk.push(r);
        if (chunk.length >= size) {
          await flush(chunk);
          chunk = [];
        }
      }
      if (chunk.length > 0) await flush(chunk);
      await reported;
      if (summary.total === 0) await opts.onProgress?.(0);
      return summary;
    },
  };
}

export type SmsIntake = ReturnType<typeof createSmsIntake>;
