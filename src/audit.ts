// Append-only audit trail in a Redis Stream: entry ids are timestamps, so an export by time
// range is an XRANGE. Records hold who/what/when and never message text or secrets.
import { z } from 'zod';
import { fleetKey, type RedisConnection } from './redis.ts';

export const auditRecord = z.object({
  timestamp: z.string(),
  kind: z.string(),
  accountId: z.string(),
  campaignId: z.string().optional(),
  recipient: z.string().optional(),
  messageId: z.string().optional(),
  cxoneId: z.string().optional(),
  entityId: z.string().optional(),
  status: z.string(),
  latencyMs: z.number().optional(),
  errorCode: z.string().optional(),
  attempt: z.number().optional(),
  /** Figures of the event (counts, rates, versions): scalars only, never message text. */
  details: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
    .refine((d) => Object.keys(d).length <= 16, 'at most 16 keys')
    .optional(),
});
export type AuditRecord = z.infer<typeof auditRecord>;

export interface AuditLog {
  append(record: Omit<AuditRecord, 'timestamp'> & { timestamp?: string }): Promise<void>;
  /** Records in [sinceMs, untilMs], oldest first, fetched page by page. */
  range(sinceMs: number, untilMs: number, pageSize?: number): AsyncGenerator<AuditRecord>;
}

export function createAuditLog(deps: { redis: RedisConnection; prefix: string; maxLen?: number }): AuditLog {
  const key = fleetKey(deps.prefix, 'audit');
  const maxLen = deps.maxLen ?? 5_000_000;
  return {
    async append(record) {
      const full = auditRecord.parse({ ...record, timestamp: record.timestamp ?? new Date().toISOString() });
      // Approximate trimming keeps XADD O(1); the stream is the retention window.
      await deps.redis.xadd(key, 'MAXLEN', '~', String(maxLen), '*', 'r', JSON.stringify(full));
    },
    async *range(sinceMs, untilMs, pageSize = 1000) {
      let start = `${sinceMs}-0`;
      const end = `${untilMs}-18446744073709551615`;
      for (;;) {
        const rows = await deps.redis.xrange(key, start, end, 'COUNT', pageSize);
        for (const [, fields] of rows) {
          const idx = fields.indexOf('r');
          if (idx >= 0 && fields[idx + 1]) yield auditRecord.parse(JSON.parse(fields[idx + 1]!));
        }
        if (rows.length < pageSize) return;
        start = `(${rows[rows.length - 1]![0]}`;
      }
    },
  };
}
