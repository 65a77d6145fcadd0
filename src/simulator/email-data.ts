// Pure data for the email module: deterministic per-day analytics rows and audit-log
// filtering and paging. Kept apart from the routes so the numbers can be reasoned about
// (and unit tested) without a server.
import { createHash } from 'node:crypto';
import type { EmailMetricTotals } from './email-config.ts';
import { validationProblem } from './http-io.ts';
import type { FieldProblem } from './http-io.ts';

export const EMAIL_METRICS = ['sent', 'delivered', 'bounced', 'complaints'] as const;
export type EmailMetric = (typeof EMAIL_METRICS)[number];

export interface AnalyticsRow {
  date: string;
  sent: number;
  delivered: number;
  bounced: number;
  complaints: number;
}

const DAY_MS = 86_400_000;

function utcDay(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

function isoDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

function hash32(s: string): number {
  return createHash('sha256').update(s).digest().readUInt32BE(0);
}

/** `total` over `n` slots exactly: the remainder goes one each to the earliest slots. */
function spread(total: number, n: number, i: number): number {
  return Math.floor(total / n) + (i < total % n ? 1 : 0);
}

export interface DayRange {
  /** First and last UTC day numbers, inclusive. */
  first: number;
  last: number;
}

/** 'lastNDays' ending today on the simulator clock, or {start, end} ISO dates. */
export function resolveDateRange(range: string | { start: string; end: string }, nowMs: number): DayRange {
  if (typeof range === 'string') {
    const m = /^last(\d{1,4})Days$/.exec(range);
    const n = m ? Number(m[1]) : 0;
    if (n < 1) throw validationProblem([{ field: 'dateRange', message: "expected 'lastNDays' (e.g. last30Days)" }]);
    const last = utcDay(nowMs);
    return { first: last - n + 1, last };
  }
  const first = utcDay(Date.parse(range.start));
  const last = utcDay(Date.parse(range.end));
  const problems: FieldProblem[] = [];
  if (Number.isNaN(first)) problems.push({ field: 'dateRange.start', message: 'not an ISO date' });
  if (Number.isNaN(last)) problems.push({ field: 'dateRange.end', message: 'not an ISO date' });
  if (problems.length === 0 && last < first) problems.push({ field: 'dateRange', message: 'end is before start' });
  if (problems.length === 0 && last - first >= 3660) {
    problems.push({ field: 'dateRange', message: 'at most 3660 days' });
  }
  if (problems.length > 0) throw validationProblem(problems);
  return { first, last };
}

/**
 * One row per day, oldest first. Configured totals are spread exactly over `days` rows
 * (ending at the range's last day); otherwise healthy figures derived from the channel
 * id and the date, so repeated queries agree.
 */
export function analyticsRows(seed: string, range: DayRange, totals: EmailMetricTotals | undefined): AnalyticsRow[] {
  const rows: AnalyticsRow[] = [];
  if (totals) {
    const n = totals.days ?? range.last - range.first + 1;
    for (let i = 0; i < n; i++) {
      rows.push({
        date: isoDate(range.last - n + 1 + i),
        sent: spread(totals.sent, n, i),
        delivered: spread(totals.delivered, n, i),
        bounced: spread(totals.bounced, n, i),
        complaints: spread(totals.complaints, n, i),
      });
    }
    return rows;
  }
  for (let day = range.first; day <= range.last; day++) {
    const date = isoDate(day);
    const h = hash32(`${seed}:${date}`);
    const sent = 800 + (h % 1200);
    // 0.5 % .. 2 % bounces and under 0.05 % complaints: well inside mailbox-provider limits.
    const bounced = Math.floor((sent * (5 + ((h >>> 11) % 16))) / 1000);
    const complaints = Math.floor((sent * ((h >>> 21) % 5)) / 10_000);
    rows.push({ date, sent, delivered: sent - bounced, bounced, complaints });
  }
  return rows;
}

export function pickMetrics(row: AnalyticsRow, metrics: readonly EmailMetric[]): Record<string, string | number> {
  const out: Record<string, string | number> = { date: row.date };
  for (const m of metrics) out[m] = row[m];
  return out;
}

// ---- audit logs -------------------------------------------------------------------------

export interface AuditRecord {
  id: string;
  timestamp: string;
  entityId: string;
  entityType: string;
  action: string;
  actor: string;
  details?: Record<string, unknown>;
}

export interface AuditEntry {
  at: number;
  record: AuditRecord;
}

const SYNTHETIC_ACTIONS = ['CHANNEL_VIEWED', 'SETTINGS_EXPORTED', 'CREDENTIALS_CHECKED', 'ROUTING_REVIEWED'] as const;
const SYNTHETIC_SPACING_MS = 60_000;

/** `n` older records for one channel, one a minute up to its creation: history to page over. */
export function syntheticAudit(channelId: string, entityType: string, createdAt: number, n: number): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (let i = 0; i < n; i++) {
    const at = createdAt - (n - i) * SYNTHETIC_SPACING_MS;
    out.push({
      at,
      record: {
        id: `${channelId}:syn:${i}`,
        timestamp: new Date(at).toISOString(),
        entityId: channelId,
        entityType,
        action: SYNTHETIC_ACTIONS[i % SYNTHETIC_ACTIONS.length] ?? 'CHANNEL_VIEWED',
        actor: i % 3 === 0 ? 'system' : 'admin@example.com',
      },
    });
  }
  return out;
}

export interface AuditQuery {
  entityId?: string;
  entityType?: string;
  startMs?: number;
  endMs?: number;
  pageSize: number;
  offset: number;
}

export const AUDIT_PAGE_SIZE = { default: 100, max: 1000 } as const;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

function encodeCursor(offset: number): string {
  return Buffer.from(`o:${offset}`).toString('base64url');
}

function decodeCursor(cursor: string): number | undefined {
  const m = /^o:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return m ? Number(m[1]) : undefined;
}

function positiveInt(
  q: URLSearchParams,
  name: string,
  fallback: number,
  max: number,
  problems: FieldProblem[],
): number {
  const raw = q.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    problems.push({ field: name, message: `an integer in 1..${max}` });
    return fallback;
  }
  return n;
}

function dateParam(q: URLSearchParams, name: string, endOfDay: boolean, problems: FieldProblem[]): number | undefined {
  const raw = q.get(name);
  if (raw === null || raw === '') return undefined;
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) {
    problems.push({ field: name, message: 'not an ISO date or date-time' });
    return undefined;
  }
  // A bare endDate means the whole of that day, as the seed's "2024-12-31" intends.
  return endOfDay && DATE_ONLY.test(raw) ? ms + DAY_MS - 1 : ms;
}

/** ?entityId&entityType&startDate&endDate&pageSize&page, or &cursor (wins over page). */
export function parseAuditQuery(q: URLSearchParams): AuditQuery {
  const problems: FieldProblem[] = [];
  const pageSize = positiveInt(q, 'pageSize', AUDIT_PAGE_SIZE.default, AUDIT_PAGE_SIZE.max, problems);
  const page = positiveInt(q, 'page', 1, 1_000_000, problems);
  let offset = (page - 1) * pageSize;
  const cursor = q.get('cursor');
  if (cursor) {
    const decoded = decodeCursor(cursor);
    if (decoded === undefined) problems.push({ field: 'cursor', message: 'not a cursor this API issued' });
    else offset = decoded;
  }
  const startMs = dateParam(q, 'startDate', false, problems);
  const endMs = dateParam(q, 'endDate', true, problems);
  if (problems.length > 0) throw validationProblem(problems);
  return {
    entityId: q.get('entityId') || undefined,
    entityType: q.get('entityType') || undefined,
    startMs,
    endMs,
    pageSize,
    offset,
  };
}

export interface AuditPage {
  data: AuditRecord[];
  page: number;
  pageSize: number;
  totalPages: number;
  totalRecords: number;
  /** Present while more records follow; pass as ?page= (or nextCursor as ?cursor=). */
  nextPage?: number;
  nextCursor?: string;
}

/** Filters and pages entries already sorted oldest first (new records land on the last page). */
export function pageAudit(entries: readonly AuditEntry[], q: AuditQuery): AuditPage {
  const hits = entries.filter(
    (e) =>
      (q.entityId === undefined || e.record.entityId === q.entityId) &&
      (q.entityType === undefined || e.record.entityType === q.entityType) &&
      (q.startMs === undefined || e.at >= q.startMs) &&
      (q.endMs === undefined || e.at <= q.endMs),
  );
  const end = q.offset + q.pageSize;
  const out: AuditPage = {
    data: hits.slice(q.offset, end).map((e) => e.record),
    page: Math.floor(q.offset / q.pageSize) + 1,
    pageSize: q.pageSize,
    totalPages: Math.ceil(hits.length / q.pageSize),
    totalRecords: hits.length,
  };
  if (end < hits.length) {
    out.nextPage = out.page + 1;
    out.nextCursor = encodeCursor(end);
  }
  return out;
}
