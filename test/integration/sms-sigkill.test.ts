// A worker process killed with SIGKILL mid-batch: its active jobs are taken over when
// their locks expire, and the idempotency key makes a re-sent request a duplicate at
// CXone, not a second message. Nothing is lost; nothing reaches a recipient twice.
import { once } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createProducerContext } from '../../src/producer-context.ts';
import { waitForReady } from '../../src/redis.ts';
import { createSmsServices } from '../../src/sms/services.ts';
import { startTestFleet, type TestFleet } from '../helpers/fleet.ts';
import { killWorkers, spawnWorker } from '../helpers/worker-processes.ts';

let fleet: TestFleet | undefined;
afterEach(async () => {
  await killWorkers();
  await fleet?.cleanup();
  fleet = undefined;
});

const worker = (env: Record<string, string>) => spawnWorker(env, ['--queues', 'sms-send', '--concurrency', '16']);

describe('a worker killed mid-batch', () => {
  it('loses no message and sends none twice', async () => {
    const total = 400;
    fleet = await startTestFleet({
      label: 'kill',
      sim: { rateLimit: { rps: 200 }, faults: { latencyMs: 20 } },
      env: { CXONE_RATE_LIMIT_RPS: '200', WORKER_LOCK_MS: '2000' },
    });
    const ctx = createProducerContext(loadConfig(fleet.env), { role: 'test', logger: createLogger({ level: 'silent' }) });
    await waitForReady(ctx.redis);
    const sms = createSmsServices(ctx);
    const numbers = Array.from({ length: total }, (_, i) => `+1415${2_000_000 + i}`);
    await sms.consent.optIn(numbers);
    await sms.intake.submit(numbers.map((to, i) => ({ row: i + 1, input: { to, text: `m${i}` } })), {
      batchId: 'kb',
      defaults: { from: 'ACME', campaignId: 'c' },
    });

    const victim = worker(fleet.env);
    worker(fleet.env);
    // Kill one worker once the batch is well under way (jobs of its are in flight).
    await vi.waitFor(() => expect(fleet!.sim.stats().sms.accepted).toBeGreaterThan(total / 4), { timeout: 30_000, interval: 20 });
    victim.kill('SIGKILL');
    await once(victim, 'exit');

    // No delivery webhooks in this test: every message ends as dispatched.
    const batch = await vi.waitFor(
      async () => {
        const b = await sms.store.getBatch('kb');
        if (b?.counts.dispatched !== total) throw new Error(JSON.stringify(b?.counts));
        return b;
      },
      { timeout: 60_000, interval: 100 },
    );
    expect(batch.counts.dispatched).toBe(total);
    const s = fleet.sim.stats();
    expect(s.sms.accepted).toBe(total);
    expect(s.sms.maxSendsPerRecipient).toBe(1);
    await ctx.close();
  });
});
