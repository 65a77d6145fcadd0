// The SMS path end to end in one process: intake → sms-send workers → simulator →
// signed delivery webhooks → ingress → sms-status workers → message and batch state.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startFleetIngress } from '../../src/fleet-ingress.ts';
import { createLogger } from '../../src/logger.ts';
import { createProducerContext } from '../../src/producer-context.ts';
import { waitForReady } from '../../src/redis.ts';
import { createSmsServices, type SmsServices } from '../../src/sms/services.ts';
import { isBatchDone } from '../../src/sms/follow.ts';
import { signWebhook } from '../../src/webhook-signature.ts';
import { smsSendWorker } from '../../src/sms/sms-send.worker.ts';
import { smsStatusWorker } from '../../src/sms/sms-status.worker.ts';
import { startTestFleet, type TestFleet } from '../helpers/fleet.ts';

const SECRET = 'pipeline-secret';
let fleet: TestFleet | undefined;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  await fleet?.cleanup();
  fleet = undefined;
});

async function setup(opts: { webhooks?: boolean; env?: Record<string, string> } = {}) {
  fleet = await startTestFleet({ label: 'sms', env: { WEBHOOK_SECRETS: SECRET, ...opts.env } });
  const logger = createLogger({ level: 'silent' });
  const ingress = await startFleetIngress(fleet.config, logger, { port: 0 });
  closers.push(() => ingress.shutdown());
  if (opts.webhooks !== false) fleet.sim.configure({ webhooks: { url: `${ingress.url}/webhooks/sms/status`, secret: SECRET, delayMs: 5 } });
  const ctx = createProducerContext(loadConfig({ ...fleet.env, PUBLIC_URL: ingress.url }), { role: 'test', logger });
  closers.push(() => ctx.close());
  await waitForReady(ctx.redis);
  const sms = createSmsServices(ctx);
  fleet.workers({ smsSend: smsSendWorker, smsStatus: smsStatusWorker }, ['smsSend', 'smsStatus'], 8);
  return { sms, ingress };
}

async function waitForBatch(sms: SmsServices, batchId: string) {
  return vi.waitFor(
    async () => {
      const b = await sms.store.getBatch(batchId);
      if (!b || !isBatchDone(b)) throw new Error(`batch not settled: ${JSON.stringify(b?.counts)}`);
      return b;
    },
    { timeout: 30_000, interval: 100 },
  );
}

describe('SMS batches', () => {
  it('sends every good row exactly once and reports every bad row with its reason', async () => {
    const { sms } = await setup();
    const good = Array.from({ length: 30 }, (_, i) => `+1415${2_000_000 + i}`);
    await sms.consent.optIn(good);
    await sms.consent.optOut(['+14152999999']);
    const rows = [
      ...good.map((to) => ({ to, text: 'hello there' })),
      { to: '12', text: 'x' },
      { to: good[0], text: '' },
      { to: '+14153000000', text: 'no consent' },
      { to: '+14152999999', text: 'opted out' },
      { to: good[1], text: '€'.repeat(2000) },
    ];
    const summary = await sms.intake.submit(rows.map((input, i) => ({ row: i + 1, input })), {
      batchId: 'b1',
      defaults: { from: 'ACME', campaignId: 'c1' },
    });
    expect(summary).toMatchObject({ total: 35, accepted: 30, rejected: 5 });
    const rejected = await sms.store.getRejections('b1');
    expect(rejected.map((r) => [r.row, r.reasons[0]!.field])).toEqual([
      [31, 'to'],
      [32, 'text'],
      [33, 'to'],
      [34, 'to'],
      [35, 'text'],
    ]);
    expect(rejected.find((r) => r.row === 34)!.reasons[0]!.message).toBe('recipient opted out');

    const batch = await waitForBatch(sms, 'b1');
    expect((batch.counts.delivered ?? 0) + (batch.counts.undelivered ?? 0)).toBe(30);
    const s = fleet!.sim.stats();
    expect(s.sms.accepted).toBe(30);
    expect(s.sms.maxSendsPerRecipient).toBe(1);

    // Resubmitting the same batch id creates nothing new and sends nothing.
    const again = await sms.intake.submit(rows.map((input, i) => ({ row: i + 1, input })), {
      batchId: 'b1',
      defaults: { from: 'ACME', campaignId: 'c1' },
    });
    expect(again.accepted).toBe(0);
    expect(again.duplicates).toBe(30);
    const msg = await sms.store.getMessage('b1.1');
    expect(msg).toMatchObject({ state: expect.stringMatching(/delivered|undelivered/), encoding: 'GSM-7', segments: 1, attempts: 1 });
    expect(msg!.cxoneId).toBeTruthy();
  });

  it('never sends a message whose validity passed before a worker got to it', async () => {
    const { sms } = await setup({ webhooks: false, env: { SMS_VALIDITY_S: '1' } });
    await sms.consent.optIn(['+14152000001']);
    // sendAt in the past by more than the validity: expired on arrival at the worker.
    const summary = await sms.intake.submit([{ row: 1, input: { to: '+14152000001', text: 'late', sendAt: Date.now() - 60_000 } }], {
      batchId: 'b-exp',
      defaults: { from: 'ACME', campaignId: 'c1' },
    });
    expect(summary.accepted).toBe(1);
    const batch = await waitForBatch(sms, 'b-exp');
    expect(batch.counts.expired).toBe(1);
    expect(fleet!.sim.stats().sms.accepted).toBe(0);
  });

  it('a duplicate and an out-of-order delivery webhook leave the right final state', async () => {
    const { sms, ingress } = await setup({ webhooks: false });
    await sms.consent.optIn(['+14152000002']);
    await sms.intake.submit([{ row: 1, input: { to: '+14152000002', text: 'hi' } }], { batchId: 'b-wh', defaults: { from: 'A', campaignId: 'c' } });
    const dispatched = await vi.waitFor(
      async () => {
        const m = await sms.store.getMessage('b-wh.1');
        if (!m?.cxoneId) throw new Error('not dispatched yet');
        return m;
      },
      { timeout: 15_000, interval: 50 },
    );
    const post = async (eventId: string, status: string) => {
      const body = JSON.stringify({ eventId, messageId: dispatched.cxoneId, status, to: '+14152000002', timestamp: new Date().toISOString() });
      const res = await fetch(`${ingress.url}/webhooks/sms/status`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signWebhook(SECRET, body) },
        body,
      });
      expect(res.status).toBeLessThan(300);
    };
    await post('e-delivered', 'delivered');
    await post('e-delivered', 'delivered'); // redelivered by CXone
    await post('e-sent-late', 'sent'); // overtaken by the delivery receipt
    await vi.waitFor(
      async () => {
        const b = await sms.store.getBatch('b-wh');
        expect(b!.counts).toEqual({ delivered: 1 });
      },
      { timeout: 15_000, interval: 50 },
    );
    // The late 'sent' is processed (its job completes) without moving the message back.
    const statusQueue = fleet!.runtime().queues.get('smsStatus');
    await vi.waitFor(async () => expect(await statusQueue.getCompletedCount()).toBe(2), { timeout: 15_000, interval: 50 });
    expect((await sms.store.getMessage('b-wh.1'))!.state).toBe('delivered');
  });
});

describe('SMS intake edge cases', () => {
  it('sends a ref repeated within one batch once, and re-enqueues rows whose earlier intake never added their jobs', async () => {
    const { sms } = await setup({ webhooks: false });
    await sms.consent.optIn(['+14152000010', '+14152000011']);
    const rows = [
      { row: 1, input: { to: '+14152000010', text: 'one', ref: 'dup' } },
      { row: 2, input: { to: '+14152000010', text: 'one again', ref: 'dup' } },
    ];
    const first = await sms.intake.submit(rows, { batchId: 'b-ref', defaults: { from: 'A', campaignId: 'c' } });
    expect(first).toMatchObject({ accepted: 1, duplicates: 1 });
    await vi.waitFor(async () => expect((await sms.store.getMessage('ref-dup'))?.cxoneId).toBeTruthy(), { timeout: 15_000, interval: 50 });

    // An intake that created its records and died before adding its jobs: the records
    // exist, unsent, with no job. Submitting again must send them, once.
    await sms.store.createMessages('b-crash', [
      { messageId: 'b-crash.1', row: 1, to: '+14152000011', campaignId: 'c', encoding: 'GSM-7', segments: 1, priority: 'bulk' },
    ]);
    const again = await sms.intake.submit([{ row: 1, input: { to: '+14152000011', text: 'retry' } }], {
      batchId: 'b-crash',
      defaults: { from: 'A', campaignId: 'c' },
    });
    expect(again.accepted).toBe(1); // the intake that created it died before counting it
    await vi.waitFor(async () => expect((await sms.store.getMessage('b-crash.1'))?.state).toBe('dispatched'), { timeout: 15_000, interval: 50 });
    expect(fleet!.sim.stats().sms.accepted).toBe(2);
  });
});
