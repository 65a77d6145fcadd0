// CXone's audit log of one email channel, exported to JSONL page by page. Resumable: a
// checkpoint next to the output records the last page written and the file's length at
// that point, so a re-run truncates any half-written page and continues after it; no
// record is lost or written twice. Every call goes through the fleet's client (limiter,
// token cache); a 429 has already paused the account, and this in-process export then
// waits the Retry-After and asks for the same page again.
import { existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { open, truncate, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { RateLimitedError, isFleetError } from '../errors.ts';
import type { CxoneClient } from '../cxone/http.ts';
import { fetchAuditLogPage, isLastPage } from '../cxone/email.ts';

export interface AuditExportOptions {
  client: CxoneClient;
  channelId: string;
  since: Date;
  until: Date;
  outFile: string;
  pageSize?: number;
  /** Transient failures (5xx, timeouts) tolerated per page before giving up. */
  maxRetries?: number;
  signal?: AbortSignal;
  onPage?: (p: { page: number; records: number; total: number; waitedMs?: number }) => void;
  wait?: (ms: number, signal?: AbortSignal) => Promise<unknown>;
}

interface Checkpoint {
  channelId: string;
  since: string;
  until: string;
  pageSize: number;
  /** Last page fully written. */
  page: number;
  records: number;
  bytes: number;
  done: boolean;
}

export const checkpointPath = (outFile: string) => `${outFile}.checkpoint.json`;

function readCheckpoint(file: string, expect: Omit<Checkpoint, 'page' | 'records' | 'bytes' | 'done'>): Checkpoint | undefined {
  if (!existsSync(file)) return undefined;
  const c = JSON.parse(readFileSync(file, 'utf8')) as Checkpoint;
  // A checkpoint of another export must not steer this one.
  if (c.channelId !== expect.channelId || c.since !== expect.since || c.until !== expect.until || c.pageSize !== expect.pageSize) {
    throw new Error(`${file} belongs to another export (channel ${c.channelId}, ${c.since}..${c.until}); remove it or choose another output file`);
  }
  return c;
}

function writeCheckpoint(file: string, c: Checkpoint): void {
  // Write-then-rename: a crash never leaves a half-written checkpoint.
  writeFileSync(`${file}.tmp`, JSON.stringify(c));
  renameSync(`${file}.tmp`, file);
}

export async function exportChannelAudit(o: AuditExportOptions): Promise<{ records: number; pages: number; resumedFrom: number; rateLimitedWaits: number }> {
  const pageSize = o.pageSize ?? 100;
  const maxRetries = o.maxRetries ?? 5;
  const wait = o.wait ?? ((ms: number, signal?: AbortSignal) => sleep(ms, undefined, { signal }));
  const id = { channelId: o.channelId, since: o.since.toISOString(), until: o.until.toISOString(), pageSize };
  const cpFile = checkpointPath(o.outFile);
  const cp: Checkpoint = readCheckpoint(cpFile, id) ?? { ...id, page: 0, records: 0, bytes: 0, done: false };
  const resumedFrom = cp.page;
  let rateLimitedWaits = 0;
  if (cp.done) return { records: cp.records, pages: cp.page, resumedFrom, rateLimitedWaits };

  // Drop whatever a crash left after the last checkpointed page.
  if (existsSync(o.outFile)) {
    if ((await stat(o.outFile)).size > cp.bytes) await truncate(o.outFile, cp.bytes);
  } else {
    cp.bytes = 0;
  }
  const fh = await open(o.outFile, 'a');
  try {
    for (let page = cp.page + 1; ; page++) {
      let attempt = 0;
      let waitedMs = 0;
      let body;
      for (;;) {
        try {
          body = await fetchAuditLogPage(o.client, { entityId: o.channelId, startDate: id.since, endDate: id.until, pageSize, page }, { signal: o.signal });
          break;
        } catch (err) {
          if (err instanceof RateLimitedError) {
            rateLimitedWaits++;
            waitedMs += err.retryAfterMs;
            await wait(err.retryAfterMs, o.signal);
            continue;
          }
          if (isFleetError(err) && err.retryable && attempt < maxRetries) {
            attempt++;
            await wait(Math.floor(Math.random() * 500 * 2 ** attempt), o.signal);
            continue;
          }
          throw err;
        }
      }
      const text = body.data.map((r) => `${JSON.stringify(r)}\n`).join('');
      if (text) await fh.write(text);
      await fh.sync();
      cp.page = page;
      cp.records += body.data.length;
      cp.bytes += Buffer.byteLength(text);
      cp.done = isLastPage(body, page, pageSize);
      writeCheckpoint(cpFile, cp);
      o.onPage?.({ page, records: body.data.length, total: cp.records, ...(waitedMs ? { waitedMs } : {}) });
      if (cp.done) break;
    }
  } finally {
    await fh.close();
  }
  return { records: cp.records, pages: cp.page, resumedFrom, rateLimitedWaits };
}
