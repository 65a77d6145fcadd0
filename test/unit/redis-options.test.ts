// Which connection waits out a Redis outage and which fails fast, for a single Redis and
// for a Cluster alike (a Cluster has an offline queue of its own).
import { describe, expect, it } from 'vitest';
import { clusterOptionsFor, optionsFor, type ConnectionKind } from '../../src/redis.ts';

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
