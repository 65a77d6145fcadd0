// The demo's closing summary: what happened to every message, and how the fleet did
// against the account's budget.
import { percentile, table } from '../cli/output.ts';
import { acceptedRatePerS } from '../simulator/sms.ts';
import type { BatchSummary } from '../sms/intake.ts';
import type { BatchRecord } from '../sms/message-store.ts';

export interface DemoFigures {
  intake: BatchSummary;
  batch: BatchRecord;
  limitRps: number;
  sim: { accepted: number; duplicates: number; rateLimited: number; tokenRequests: number; peak1s: number; firstAcceptedAt: number | null; lastAcceptedAt: number | null };
  dispatchLatenciesMs: number[];
  elapsedMs: number;
}

export function renderDemoReport(f: DemoFigures): string {
  const lat = [...f.dispatchLatenciesMs].sort((x, y) => x - y);
  const rate = acceptedRatePerS(f.sim);
  const rows: (string | number)[][] = [
    ['rows', f.intake.total],
    ['accepted', f.intake.accepted],
    ['rejected', f.intake.rejected],
    ...Object.entries(f.intake.rejectedByReason).sort((a, b) => b[1] - a[1]).map(([r, n]) => [`  ${r}`, n]),
    ['sent to CXone', f.sim.accepted],
    ['delivered', f.batch.counts.delivered ?? 0],
    ['undelivered', f.batch.counts.undelivered ?? 0],
    ['failed', f.batch.counts.failed ?? 0],
    ['expired', f.batch.counts.expired ?? 0],
    ['segments', f.intake.segments],
    ['achieved rate (req/s)', Number(rate.toFixed(1))],
    ['limit (req/s)', f.limitRps],
    ['rate / limit', Number((rate / f.limitRps).toFixed(3))],
    ['busiest second at CXone', f.sim.peak1s],
    ['429s', f.sim.rateLimited],
    ['duplicate sends at CXone', f.sim.duplicates],
    ['token requests', f.sim.tokenRequests],
    ['dispatch latency p50 (ms)', percentile(lat, 50)],
    ['dispatch latency p95 (ms)', percentile(lat, 95)],
    ['dispatch latency p99 (ms)', percentile(lat, 99)],
    ['elapsed (s)', Number((f.elapsedMs / 1000).toFixed(1))],
  ];
  return table(rows);
}
