// One path for every SMS producer (CLI, HTTP API, library): validate each row on its own,
// check consent, create the message records, and enqueue with addBulk in chunks. A bad
// row is reported with its reasons and never stops the rest of the batch.
import type { Enqueuer } from '../queues/enqueue.ts';
import type { ConsentStore } from './consent-store.ts';
import type { MessageStore, NewMessage } from './message-store.ts';
import type { ChunkContext, IntakeRow, PreparedChunk } from './prepare-chunk.ts';
import { inlineValidator, type RowValidator } from './row-validator.ts';

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
  accepted: number;
  rejected: number;
  duplicates: number;
  segments: number;
  rejectedByReason: Record<string, number>;
}

export interface IntakeOptions {
  batchId: string;
  defaults?: { from?: string; campaignId?: string };
  dryRun?: boolean;
  chunkSize?: number;
  requestId?: string;
  onRow?: (v: RowVerdict) => void;
  /** Called after each chunk; awaited, so a caller can apply backpressure (stdout drain). */
  onProgress?: (processed: number) => void | Promise<void>;
  /** Where rows are validated (default: this thread). */
  validator?: RowValidator;
}

export interface SmsIntakeDeps {
  enqueuer: Enqueuer;
  store: MessageStore;
  consent: ConsentStore;
  accountId: string;
  defaultRegion: string;
  maxSegments: number;
  validityMs: number;
  webhookUrl?: string;
  now?: () => number;
}

const PRIORITY_LANE = { otp: 1, transactional: 5, bulk: 10 } as const;
// Chunks whose writes may overlap. Each chunk's writes are a few round trips, and BullMQ's
// addBulk keeps this thread busy packing jobs while Redis runs the previous chunk's
// scripts: with eight in flight neither waits on the other (two left both idle a third of
// the time; bench/sms.bench.ts). Memory stays bounded: at most 8 x chunkSize rows.
const CHUNKS_IN_FLIGHT = 8;

export function createSmsIntake(deps: SmsIntakeDeps) {
  const now = deps.now ?? Date.now;

  /** The writes of a chunk: consent, message records, jobs. Chunks may overlap here. */
  async function store({ rejections, valid }: PreparedChunk, opts: IntakeOptions) {
    const verdicts = await deps.consent.verdicts(valid.map((v) => v.payload.to));
    const sendable = valid.filter((v, i) => {
      const verdict = verdicts[i];
      if (verdict === 'opted-in') return true;
      rejections.push({
        row: v.row,
        to: v.payload.to,
        reasons: [{ field: 'to', message: verdict === 'opted-out' ? 'recipient opted out' : 'no SMS consent on record' }],
      });
      return false;
    });

    // A dry run creates nothing: every sendable row counts as it would be accepted.
    if (opts.dryRun || sendable.length === 0) return { sendable, accepted: sendable };

    const records: NewMessage[] = sendable.map(({ row, messageId, payload: p }) => ({
      messageId,
      row,
      to: p.to,
      campaignId: p.campaignId,
      encoding: p.encoding,
      segments: p.segments,
      priority: p.priority,
    }));
    const outcomes = await deps.store.createMessages(opts.batchId, records);
    const accepted = sendable.filter((_, i) => outcomes[i] === 'created');
    // Unsent ones are enqueued again too: their earlier intake may have failed before
    // its jobs were added, and the job id makes a second add of a live job a no-op.
    const nowMs = now();
    const items = sendable
      .filter((_, i) => outcomes[i] !== 'duplicate')
      .map((v) => ({
        data: v.payload,
        opts: {
          jobId: v.messageId,
          priority: PRIORITY_LANE[v.payload.priority],
          ...(v.sendAt !== undefined && v.sendAt > nowMs ? { delay: v.sendAt - nowMs } : {}),
        },
      }));
    await deps.enqueuer.addParsedBulk('smsSend', items, 500);
    return { sendable, accepted };
  }

  /** What a chunk did, reported strictly in row order: per-row verdicts, figures. */
  async function report(
    { chunk, rejections, valid }: PreparedChunk,
    { sendable, accepted }: Awaited<ReturnType<typeof store>>,
    opts: IntakeOptions,
    summary: BatchSummary,
  ) {
    rejections.sort((a, b) => a.row - b.row);
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

    const acceptedNow = accepted.length;
    const duplicates = sendable.length - accepted.length;
    const segments = accepted.reduce((a, v) => a + v.payload.segments, 0);
    summary.total += chunk.length;
    summary.accepted += acceptedNow;
    summary.duplicates += duplicates;
    summary.rejected += rejections.length;
    summary.segments += segments;
    for (const r of rejections) {
      const reason = r.reasons[0] ? `${r.reasons[0].field}: ${r.reasons[0].message}` : 'unknown';
      summary.rejectedByReason[reason] = (summary.rejectedByReason[reason] ?? 0) + 1;
    }
    if (!opts.dryRun) {
      await deps.store.recordIntake(opts.batchId, { total: chunk.length, accepted: acceptedNow, duplicates, segments }, rejections);
    }
  }

  return {
    /** Streams rows through validation and enqueue, `chunkSize` rows at a time. */
    async submit(rows: AsyncIterable<IntakeRow> | Iterable<IntakeRow>, opts: IntakeOptions): Promise<BatchSummary> {
      const summary: BatchSummary = { batchId: opts.batchId, total: 0, accepted: 0, rejected: 0, duplicates: 0, segments: 0, rejectedByReason: {} };
      const size = opts.chunkSize ?? 1000;
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
        const stored = store(prepared, opts);
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
