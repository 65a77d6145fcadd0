// A Redis Cluster failover mid-batch costs no work: the master that owns the fleet's slot is
// SIGKILLed while two worker processes send, its replica is promoted, and the batch settles
// with every message sent once, on its first attempt, and every delivery receipt stored
// (the ingress answers 503 during the failover and CXone - the simulator - delivers again).
// Runs only on a cluster: WITH_CLUSTER=1 node scripts/with-redis.mjs npx vitest run <this file>.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isTerminal, MESSAGE_STATES } from '../../src/domain/sms/message-state.ts';
import { fleetKey } from '../../src/redis.ts';
import { REDIS_CLUSTER_NODES } from '../helpers/redis.ts';
import { clusterView, killNode, masterPortOf, restoreCluster } from '../helpers/redis-cluster.ts';
import { numbers, settled, startSmsFleet, submitBatch, waitForBatch, type SmsFleet } from '../helpers/sms-fleet.ts';
import { killWorkers, spawnWorker } from '../helpers/worker-processes.ts';

let f: SmsFleet | undefined;
afterEach(async () => {
  await killWorkers();
  await f?.close();
  f = undefined;
  // The next test (or file) gets 3 masters and 3 replicas again.
  await restoreCluster();
}, 60_000);

const TOTAL = 1_000;
const ENV = {
  CXONE_RATE_LIMIT_RPS: '100',
  WORKER_LOCK_MS: '5000',
  // Only receipts settle messages here: a lost one leaves its message open and fails the test.
  SMS_RECONCILE_AFTER_S: '3600',
};
const SIM = { rateLimit: { rps: 100 }, faults: { latencyMs: 20 } };
// CXone delivers a refused receipt again; 31 s of retries outlast a local failover (~5 s).
const WEBHOOKS = { retryScheduleMs: [1_000, 2_000, 4_000, 8_000, 8_000, 8_000] };

describe.skipIf(!REDIS_CLUSTER_NODES)('a cluster master killed mid-batch', () => {
  it('spends no attempt, loses no message or receipt, sends no recipient twice, and the batch settles', async () => {
    f = await startSmsFleet({ label: 'failover', env: ENV, sim: SIM, webhooks: WEBHOOKS });
    const batchId = 'bf';
    await submitBatch(f.sms, batchId, numbers(TOTAL));
    spawnWorker(f.env, ['--concurrency', '16']);
    spawnWorker(f.env, ['--concurrency', '16']);

    // Every key of the fleet carries its prefix's hash tag: one slot, one master.
    const victim = await masterPortOf(fleetKey(f.fleet.prefix, 'any'));
    await vi.waitFor(() => expect(f!.fleet.sim.stats().sms.accepted).toBeGreaterThan(TOTAL / 5), { timeout: 60_000, interval: 20 });
    await killNode(victim);
    expect(f.fleet.sim.stats().sms.accepted).toBeLessThan(TOTAL); // killed mid-batch

    const batch = await waitForBatch(f.sms, batchId, settled, 150_000);
    // The replica took over: the killed node is failed and another master serves the slot.
    expect((await clusterView()).find((n) => n.port === victim)?.failing).toBe(true);
    expect(await masterPortOf(fleetKey(f.fleet.prefix, 'any'))).not.toBe(victim);

    const open = MESSAGE_STATES.filter((s) => !isTerminal(s) && batch.counts[s]);
    expect(open, JSON.stringify(batch.counts)).toEqual([]);
    const s = f.fleet.sim.stats();
    // Nothing lost, nothing sent twice.
    expect(s.sms).toMatchObject({ accepted: TOTAL, repeatedRecipients: 0, maxSendsPerRecipient: 1 });
    // The failover was felt: the ingress refused receipts while the slot had no master...
    expect(s.webhooks.retried).toBeGreaterThan(0);
    // ...and every one reached the store in the end (none gave up), each message ending as CXone chose.
    expect(s.webhooks.failed).toBe(0);
    expect(batch.counts).toEqual(s.sms.finalStatuses);
    // No attempt spent on the failover: every message was sent on its first attempt.
    const attempts = await Promise.all(Array.from({ length: TOTAL }, (_, i) => f!.sms.store.getMessage(`${batchId}.${i + 1}`).then((m) => m?.attempts)));
    expect(attempts.filter((a) => a !== 1)).toEqual([]);
  }, 240_000);
});
