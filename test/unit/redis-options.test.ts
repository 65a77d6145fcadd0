// Which connection waits out a Redis outage and which fails fast, for a single Redis and
// for a Cluster alike (a Cluster has an offline queue of its own).
import { describe, expect, it } from 'vitest';
import { clusterOptionsFor, FAILOVER_BUDGET_MS, optionsFor, type ConnectionKind } from '../../src/redis.ts';

const patient: ConnectionKind[] = ['worker', 'commands'];

describe('connection kinds', () => {
  it.each(patient)('%s connections queue commands while Redis is away and retry them', (kind) => {
    expect(optionsFor(kind).maxRetriesPerRequest).toBeNull();
    expect(optionsFor(kind).enableOfflineQueue).not.toBe(false);
    expect(clusterOptionsFor(kind).enableOfflineQueue).toBe(true);
  });

  it('client connections fail fast, on a Cluster too', () => {
    expect(optionsFor('client')).toMatchObject({ maxRetriesPerRequest: 1, enableOfflineQueue: false });
    expect(clusterOptionsFor('client').enableOfflineQueue).toBe(false);
  });

  it("only producers' connections are auto-pipelined, never a worker's", () => {
    expect(optionsFor('client').enableAutoPipelining).toBe(true);
    for (const kind of patient) expect(optionsFor(kind).enableAutoPipelining).toBeFalsy();
  });
});

describe('cluster failover budget', () => {
  it.each(patient)('%s connections retry a failover for at least FAILOVER_BUDGET_MS', (kind) => {
    const o = clusterOptionsFor(kind);
    // ioredis spends one redirection per failover retry (connection closed, CLUSTERDOWN, TRYAGAIN).
    for (const delay of [o.retryDelayOnFailover, o.retryDelayOnClusterDown, o.retryDelayOnTryAgain]) {
      expect(delay).toBeGreaterThan(0);
      expect(delay! * o.maxRedirections!).toBeGreaterThanOrEqual(FAILOVER_BUDGET_MS);
    }
  });

  it('client connections give up within about two seconds, as a single Redis does', () => {
    const o = clusterOptionsFor('client');
    expect(o.retryDelayOnFailover! * o.maxRedirections!).toBeLessThanOrEqual(2_000);
  });

  // Mid-failover the check reads cluster_state:fail and ioredis never settles the connect()
  // BullMQ's watchdog awaits: idle Workers stopped for good (docs/adr/0005-cluster-failover.md).
  it.each(['worker', 'commands', 'client'] as const)('%s Clusters skip the ready check that strands a reconnect mid-failover', (kind) => {
    expect(clusterOptionsFor(kind).enableReadyCheck).toBe(false);
  });

  it('a Cluster whose every node is gone reconnects forever, at most 2 s apart', () => {
    const retry = clusterOptionsFor('worker').clusterRetryStrategy!;
    expect(retry(1)).toBeGreaterThan(0);
    expect(retry(1_000)).toBe(2_000);
  });
});
