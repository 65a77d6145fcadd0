// An SMS fleet for receipt tests: the simulator sending signed webhooks to a real ingress,
// a producer context for intake, and helpers to wait on batch state in Redis.
import { expect, vi } from 'vitest';
import type { Job, Queue } from 'bullmq';
import { loadConfig } from '../../src/config.ts';
import { startFleetIngress } from '../../src/fleet-ingress.ts';
import { createLogger } from '../../src/logger.ts';
import { createProducerContext, type ProducerContext } from '../../src/producer-context.ts';
import { waitForReady } from '../../src/redis.ts';
import type { WebhookConfig } from '../../src/simulator/config.ts';
import type { SimulatorOptions } from '../../src/simulator/server.ts';
import { isBatchDone } from '../../src/sms/follow.ts';
import type { BatchRecord } from '../../src/sms/message-store.ts';
import { createSmsServices, type SmsServices } from '../../src/sms/services.ts';
import { startTestFleet, type TestFleet } from './fleet.ts';

export const WEBHOOK_SECRET = 'receipts-secret';

export interface SmsFleet {
  fleet: TestFleet;
  sms: SmsServices;
  ctx: ProducerContext;
  ingressUrl: string;
  /** fleet.env plus the ingress's public URL (what a worker or CLI process needs). */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startSmsFleet(opts: { label: string; env?: Record<string, string>; sim?: SimulatorOptions; webhooks?: Partial<WebhookConfig> }): Promise<SmsFleet> {
  const fleet = await startTestFleet({ label: opts.label, sim: opts.sim, env: { WEBHOOK_SECRETS: WEBHOOK_SECRET, ...opts.env } });
  const logger = createLogger({ level: 'silent' });
  const ingress = await startFleetIngress(fleet.config, logger, { port: 0 });
  fleet.sim.configure({ webhooks: { url: `${ingress.url}/webhooks/sms/status`, secret: WEBHOOK_SECRET, delayMs: 5, ...opts.webhooks } });
  const env = { ...fleet.env, PUBLIC_URL: ingress.url };
  const ctx = createProducerContext(loadConfig(env), { role: 'test', logger });
  await waitForReady(ctx.redis);
  return {
    fleet,
    sms: createSmsServices(ctx),
    ctx,
    ingressUrl: ingress.url,
    env,
    async close() {
      await ctx.close();
      await ingress.shutdown();
      await fleet.cleanup();
    },
  };
}

export const numbers = (n: number, base = 2_000_000) => Array.from({ length: n }, (_, i) => `+1415${base + i}`);

/** Opts the numbers in and submits one message to each as batch `batchId`. */
export async function submitBatch(sms: SmsServices, batchId: string, to: string[]) {
  await sms.consent.optIn(to);
  const summary = await sms.intake.submit(
    to.map((n, i) => ({ row: i + 1, input: { to: n, text: `message ${i}` } })),
    { batchId, defaults: { from: 'ACME', campaignId: 'c-receipts' } },
  );
  expect(summary.accepted).toBe(to.length);
  return summary;
}

/** Waits until `check` holds for the batch (Redis errors during an outage are retried). */
export async function waitForBatch(sms: SmsServices, batchId: string, check: (b: BatchRecord) => boolean, timeout = 120_000): Promise<BatchRecord> {
  return vi.waitFor(
    async () => {
      const b = await sms.store.getBatch(batchId);
      if (!b || !check(b)) throw new Error(`batch ${batchId} not there yet: ${JSON.stringify(b?.counts)}`);
      return b;
    },
    { timeout, interval: 200 },
  );
}

export const settled = (b: BatchRecord) => isBatchDone(b);

/** Messages the send jobs waiting in `queue` carry (a chunk counts each of its messages). */
export async function waitingMessages(queue: Queue): Promise<string[]> {
  const jobs = (await queue.getJobs(['waiting', 'prioritized'])) as Job[];
  return jobs.flatMap((j) => {
    const d = j.data as { kind?: string; messageId: string; messages?: { messageId: string }[] };
    return d.kind === 'chunk' ? d.messages!.map((m) => m.messageId) : [d.messageId];
  });
}
