// Counters of everything the core saw. Per-request work is a few increments and one
// deque push; the snapshot is built only when someone asks.
import { SlidingWindowPeak } from './sliding-window.ts';

export interface FaultStats {
  errors: number;
  timeouts: number;
  drops: number;
  /** Requests handled in full and answered late or never (lateResponseRate). */
  late: number;
  /** Requests held open by a timeout fault right now (a gauge, not reset). */
  held: number;
}

/** What one CXone account (the account of a client's tokens) got. */
export interface AccountStats {
  tokensIssued: number;
  /** API calls that carried a valid token of the account, 429s included. */
  requests: number;
  rateLimited: number;
  /** Most of those calls within any sliding second, and over 100 ms. */
  peak1s: number;
  peak100ms: number;
}

export interface CoreStatsSnapshot {
  startedAt: string;
  resetAt: string;
  tokenRequests: number;
  tokensIssued: number;
  /** Every request outside the token endpoint and /_sim/*, unknown routes included. */
  apiRequests: number;
  /** By "METHOD /path/{template}"; unknown routes under "unmatched". */
  requests: Record<string, number>;
  /** By HTTP status of the answers actually written (API and token endpoint). */
  responses: Record<string, number>;
  rateLimited: number;
  /** Most API requests that arrived within any sliding 1-second window since reset. */
  peak1s: number;
  /** The same over 100 ms (how smooth the traffic is) and over a minute (per-minute budgets). */
  peak100ms: number;
  peak1m: number;
  faults: FaultStats;
  /** By account id. */
  accounts: Record<string, AccountStats>;
}

export interface CoreStats {
  arrive(routeKey: string, t: number): void;
  tokenRequest(): void;
  tokenIssued(): void;
  response(status: number): void;
  /** A 429 for one account's call. */
  rateLimited(accountId: string): void;
  /** A call with a valid token of the account, at `t`. */
  accountRequest(accountId: string, t: number): void;
  accountToken(accountId: string): void;
  fault(kind: 'errors' | 'timeouts' | 'drops' | 'late'): void;
  snapshot(held: number): CoreStatsSnapshot;
  reset(): void;
}

export function createCoreStats(): CoreStats {
  const startedAt = new Date().toISOString();
  let resetAt = startedAt;
  let tokenRequests = 0;
  let tokensIssued = 0;
  let apiRequests = 0;
  let rateLimited = 0;
  const requests = new Map<string, number>();
  const responses = new Map<number, number>();
  const faults = { errors: 0, timeouts: 0, drops: 0, late: 0 };
  const peak = new SlidingWindowPeak(1000);
  const peak100ms = new SlidingWindowPeak(100);
  const peak1m = new SlidingWindowPeak(60_000);
  const accounts = new Map<string, { tokensIssued: number; requests: number; rateLimited: number; peak: SlidingWindowPeak; peak100ms: SlidingWindowPeak }>();
  const account = (id: string) => {
    let a = accounts.get(id);
    if (!a) accounts.set(id, (a = { tokensIssued: 0, requests: 0, rateLimited: 0, peak: new SlidingWindowPeak(1000), peak100ms: new SlidingWindowPeak(100) }));
    return a;
  };

  return {
    arrive(routeKey, t) {
      apiRequests++;
      requests.set(routeKey, (requests.get(routeKey) ?? 0) + 1);
      peak.arrive(t);
      peak100ms.arrive(t);
      peak1m.arrive(t);
    },
    tokenRequest() {
      tokenRequests++;
    },
    tokenIssued() {
      tokensIssued++;
    },
    response(status) {
      responses.set(status, (responses.get(status) ?? 0) + 1);
    },
    rateLimited(accountId) {
      rateLimited++;
      account(accountId).rateLimited++;
    },
    accountRequest(accountId, t) {
      const a = account(accountId);
      a.requests++;
      a.peak.arrive(t);
      a.peak100ms.arrive(t);
    },
    accountToken(accountId) {
      account(accountId).tokensIssued++;
    },
    fault(kind) {
      faults[kind]++;
    },
    snapshot(held) {
      return {
        startedAt,
        resetAt,
        tokenRequests,
        tokensIssued,
        apiRequests,
        requests: Object.fromEntries(requests),
        responses: Object.fromEntries([...responses].map(([k, v]) => [String(k), v])),
        rateLimited,
        peak1s: peak.peak,
        peak100ms: peak100ms.peak,
        peak1m: peak1m.peak,
        faults: { ...faults, held },
        accounts: Object.fromEntries(
          [...accounts].map(([id, a]) => [id, { tokensIssued: a.tokensIssued, requests: a.requests, rateLimited: a.rateLimited, peak1s: a.peak.peak, peak100ms: a.peak100ms.peak }]),
        ),
      };
    },
    reset() {
      resetAt = new Date().toISOString();
      tokenRequests = 0;
      tokensIssued = 0;
      apiRequests = 0;
      rateLimited = 0;
      requests.clear();
      responses.clear();
      faults.errors = 0;
      faults.timeouts = 0;
      faults.drops = 0;
      faults.late = 0;
      peak.reset();
      peak100ms.reset();
      peak1m.reset();
      accounts.clear();
    },
  };
}
