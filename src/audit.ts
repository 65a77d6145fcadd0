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
  /** A few scalar facts of the step (counts, a job's errors joined); never message text or secrets. */
  details: z.record(z.string(), z.union([z.string().max(2000), z.number(), z.boolean()])).refine((d) => Object.keys(d).length <= 16, 'at most 16 details').optional(),
});
export type AuditRecord = z.infer<typeof auditRecord>;

export interface AuditLog {
  append(record: Omit<AuditRecord, 'timestamp'> & { timestamp?: string }): Promise<void>;
  /** Records in [sinceMs, untilMs], oldest first, fetched page by page. */
  range(sinceMs: number, untilMs: number, pageSize?: number): AsyncGenerator<AuditRecord>;
}

/** Entries kept, about (approximate trimming keeps XADD O(1)); the stream is the retention window. */
export const AUDIT_MAX_LEN = 5_000_000;
export const auditStreamKey = (prefix: string) => fleetKey(prefix, 'audit');

/**
 * A record as the stream's `r` field, for a Lua script that appends it in the same step as
 * the state it reports (XADD key MAXLEN ~ AUDIT_MAX_LEN * r <entry>). Not validated: for
 * records the code builds from typed fields, with no free-form details.
 */
export function auditEntry(record: Omit<AuditRecord, 'timestamp' | 'details'>): string {
  return JSON.stringify({ ...record, timestamp: new Date().toISOString() });
}

export function createAuditLog(deps: { redis: RedisConnection; prefix: string; maxLen?: number }): AuditLog {
  const key = auditStreamKey(deps.prefix);
  const maxLen = deps.maxLen ?? AUDIT_MAX_LEN;
  return {
    async append(record) {
      const full = auditRecord.parse({ ...record, timestamp: record.timestamp ?? new Date().toISOString() });
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
