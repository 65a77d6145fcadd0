// The CPU part of intake for one chunk of rows: parse and validate every row, and give
// each valid one its deterministic message id. Pure, so it runs the same in the producer's
// thread or in a validation thread beside it.
import { validateSmsInput, type ValidSmsMessage } from '../domain/sms/validate-message.ts';
import type { Rejection } from './message-store.ts';

export interface IntakeRow {
  /** 1-based position in the caller's input (data rows, header excluded). */
  row: number;
  input: unknown;
  /** Set when the row could not even be parsed (bad JSON line, ragged CSV row). */
  parseError?: string;
}

export interface ChunkContext {
  batchId: string;
  defaultRegion: string;
  maxSegments: number;
  defaults?: { from?: string; campaignId?: string } | undefined;
}

export interface PreparedChunk {
  chunk: IntakeRow[];
  rejections: Rejection[];
  valid: { row: number; msg: ValidSmsMessage; messageId: string }[];
}

/** Deterministic: a resubmitted row or ref maps to the same message and the same job. */
export function messageIdFor(batchId: string, row: number, ref?: string): string {
  // BullMQ job ids may not contain ':'; refs may.
  return ref ? `ref-${ref.replace(/:/g, '%3A')}` : `${batchId}.${row}`;
}

export function prepareChunk(chunk: IntakeRow[], ctx: ChunkContext): PreparedChunk {
  const rejections: Rejection[] = [];
  const valid: PreparedChunk['valid'] = [];
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
    valid.push({ row: r.row, msg: v.message, messageId: messageIdFor(ctx.batchId, r.row, v.message.ref) });
  }
  return { chunk, rejections, valid };
}
