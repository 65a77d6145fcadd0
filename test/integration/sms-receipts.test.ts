// Receipts that always settle, in one process against real Redis, the simulator over HTTP
// and a real ingress: a receipt that beats its dispatch, receipts lost on the way, the
// receipt deadline, and sends whose answer was lost (`unknown`), reconciled and replayed.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isTerminal, MESSAGE_STATES } from '../../src/domain/sms/message-state.ts';
import { smsReconcileWorker } from '../../src/sms/sms-reconcile.worker.ts';
import { smsSendWorker } from '../../src/sms/sms-send.worker.ts';
import { smsStatusWorker } from '../../src/sms/sms-status.worker.ts';
import { runCli } from '../helpers/cli.ts';
import { numbers, settled, startSmsFleet, submitBatch, waitForBatch, type SmsFleet } from '../helpers/sms-fleet.ts';

let f: SmsFleet | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

const FAST_RECONCILE = { SMS_RECONCILE_AFTER_S: '1', SMS_RECONCILE_EVERY_S: '1' };
// Responses slower than this are lost; every call failing must not open the breaker.
const SHORT_TIMEOUTS = { CXONE_HEADERS_TIMEOUT_MS: '300', CXONE_BODY_TIMEOUT_MS: '300', CXONE_BREAKER_FAILURES: '1000000' };

function nonTerminal(counts: Partial<Record<string, number>>) {
  return MESSAGE_STATES.filter((s) => !isTerminal(s) && (counts[s] ?? 0) > 0);
}

describe('a receipt that arrives before the dispatch is recorded', () => {
  it('is parked and applied when the re-sent request records the CXone id', async () => {
    f = await startSmsFleet({ label: 'early', env: SHORT_TIMEOUTS, sim: { faults: { lateResponseRate: 1 } } });
    const { fleet, sms } = f;
    fleet.workers({ smsSend: smsSendWorker, smsStatus: smsStatusWorker }, ['smsSend', 'smsStatus'], 4);
    await submitBatch(sms, 'be', numbers(1));
    const statusQueue = fleet.runtime().queues.get('smsStatus');
    // CXone accepted it and sent its receipt; the answer to the send was never given.
    const done = await vi.waitFor(
      async () => {
        const jobs = await statusQueue.getCompleted();
        if (jobs.length === 0) throw new Error('receipt not processed yet');
        return jobs;
      },
      { timeout: 30_000, interval: 50 },
    );
    expect(done[0]!.returnvalue).toEqual({ parked: true });
    // The attempt timed out: recorded as one that may have reached CXone, still not dispatched.
    await vi.waitFor(async () => expect(await sms.store.getMessage('be.1')).toMatchObject({ state: 'queued', maybeSent: true }), { timeout: 30_000, interval: 50 });
    expect(fleet.sim.stats().sms.accepted).toBe(1);

    fleet.sim.configure({ faults: null });
    const batch = await waitForBatch(sms, 'be', settled, 60_000);
    const finals = fleet.sim.stats().sms.finalStatuses;
    expect(batch.counts).toEqual(finals);
    const msg = await sms.store.getMessage('be.1');
    expect(msg!.cxoneId).toBeTruthy();
    const s = fleet.sim.stats().sms;
    expect(s).toMatchObject({ accepted: 1, repeatedRecipients: 0 });
    expect(s.duplicates).toBeGreaterThan(0); // the re-send got the same id back
  }, 120_000);
});

describe('receipts lost on the way', () => {
  it('are reconciled from CXone by message id', async () => {
    f = await startSmsFleet({ label: 'lost', env: FAST_RECONCILE, webhooks: { dropRate: 1, retryScheduleMs: [] } });
    const { fleet, sms } = f;
    fleet.workers({ smsSend: smsSendWorker, smsStatus: smsStatusWorker, smsReconcile: smsReconcileWorker }, ['smsSend', 'smsStatus', 'smsReconcile'], 8);
    const total = 30;
    await submitBatch(sms, 'bl', numbers(total));
    const batch = await waitForBatch(sms, 'bl', settled, 60_000);
    const s = fleet.sim.stats();
    expect(s.webhooks.dropped).toBe(total);
    expect(s.webhooks.sent).toBe(0);
    expect(s.sms.statusReads).toBeGreaterThanOrEqual(total);
    // The real final state of each, as CXone chose it.
    expect(batch.counts).toEqual(s.sms.finalStatuses);
    expect(s.sms).toMatchObject({ accepted: total, repeatedRecipients: 0 });
  }, 120_000);

  it('end no-receipt at the deadline where the account cannot ask CXone, shown by sms status', async () => {
    f = await startSmsFleet({
      label: 'deadline',
      env: { ...FAST_RECONCILE, SMS_RECEIPT_DEADLINE_S: '2', CXONE_ENDPOINTS: '{"smsStatus":null,"smsLookup":null}' },
      webhooks: { dropRate: 1, retryScheduleMs: [] },
    });
    const { fleet, sms } = f;
    fleet.workers({ smsSend: smsSendWorker, smsStatus: smsStatusWorker, smsReconcile: smsReconcileWorker }, ['smsSend', 'smsStatus', 'smsReconcile'], 8);
    const total = 10;
    await submitBatch(sms, 'bd', numbers(total));
    const dispatched = await waitForBatch(sms, 'bd', (b) => (b.counts.dispatched ?? 0) === total, 30_000);
    expect(settled(dispatched)).toBe(false);
    const batch = await waitForBatch(sms, 'bd', settled, 60_000);
    expect(batch.counts).toEqual({ 'no-receipt': total });
    expect(fleet.sim.stats().sms).toMatchObject({ statusReads: 0, lookups: 0, accepted: total });
    expect((await sms.store.getMessage('bd.1'))!.lastError).toBe('RECEIPT_DEADLINE');

    const cli = await runCli(['sms', 'status', 'bd', '--wait', '--json'], f.env);
    expect(cli.code, cli.stderr).toBe(0);
    const shown = JSON.parse(cli.stdout.trim().split('\n').at(-1)!) as { batch: { counts: Record<string, number> } };
    expect(shown.batch.counts).toEqual({ 'no-receipt': total });
  }, 120_000);
});

describe('sends whose answer was lost', () => {
  it('end unknown (not failed), are reconciled to the real state, and dlq replay sends only what CXone does not have', async () => {
    // Every call fails after the request was written: answered never (CXone has the
    // message) or reset on arrival (CXone does not). A message ends `unknown` either way.
    f = await startSmsFleet({ label: 'unknown', env: { ...SHORT_TIMEOUTS, ...FAST_RECONCILE }, sim: { faults: { lateResponseRate: 0.25, dropRate: 0.75 } } });
    const { fleet, sms } = f;
    fleet.workers({ smsSend: smsSendWorker, smsStatus: smsStatusWorker }, ['smsSend', 'smsStatus'], 32);
    const total = 80;
    const to = numbers(total);
    await submitBatch(sms, 'bu', to);
    const unknown = await waitForBatch(sms, 'bu', (b) => (b.counts.unknown ?? 0) === total, 400_000);
    expect(unknown.counts).toEqual({ unknown: total });
    const atCxone = fleet.sim.stats().sms.accepted;
    // Both kinds are present (P(none of 80 never reached CXone) = 0.9^80, about 2e-4).
    expect(atCxone).toBeGreaterThan(0);
    expect(atCxone).toBeLessThan(total);
    // A message is settled unknown before BullMQ moves its job to failed.
    await vi.waitFor(async () => expect(await fleet.runtime().queues.get('smsSend').getFailedCount()).toBe(total), { timeout: 10_000, interval: 50 });

    fleet.sim.configure({ faults: null });
    fleet.workers({ smsReconcile: smsReconcileWorker }, ['smsReconcile']);
    const reconciled = await waitForBatch(sms, 'bu', (b) => nonTerminal(b.counts).length === 0, 60_000);
    const sim = fleet.sim.stats().sms;
    expect(sim.lookups).toBeGreaterThanOrEqual(total);
    const { failed, ...atCxoneCounts } = reconciled.counts;
    expect(failed).toBe(total - atCxone);
    expect(atCxoneCounts).toEqual(sim.finalStatuses); // the real state of every one CXone has
    expect(sim.accepted).toBe(atCxone); // reconciliation sends nothing

    // The dead letters: masked unless asked, and a dry run changes nothing.
    const list = await runCli(['dlq', 'list', 'sms-send', '--json', '--limit', '1'], f.env);
    expect(list.stdout).not.toContain('+1415');
    expect(list.stdout).not.toContain('message ');
    const pii = await runCli(['dlq', 'list', 'sms-send', '--json', '--limit', '1', '--show-pii'], f.env);
    expect(pii.stdout).toContain('+1415');
    const dry = await runCli(['dlq', 'replay', 'sms-send', '--dry-run', '--json'], f.env);
    expect(dry.code, dry.stderr).toBe(0);
    const dryReport = JSON.parse(dry.stdout) as { replayed: string[]; skipped: { jobId: string; reason: string }[] };
    expect(dryReport.replayed).toHaveLength(total - atCxone);
    expect(dryReport.skipped).toHaveLength(atCxone);
    expect(dryReport.skipped[0]!.reason).toMatch(/CXone has it/);
    const limited = JSON.parse((await runCli(['dlq', 'replay', 'sms-send', '--dry-run', '--json', '--limit', '1'], f.env)).stdout) as { replayed: string[] };
    expect(limited.replayed).toHaveLength(1);
    const one = JSON.parse((await runCli(['dlq', 'replay', 'sms-send', '--dry-run', '--json', '--id', dryReport.skipped[0]!.jobId], f.env)).stdout) as { replayed: string[]; skipped: unknown[] };
    expect(one).toMatchObject({ replayed: [], skipped: [{ jobId: dryReport.skipped[0]!.jobId }] });
    expect((await sms.store.getBatch('bu'))!.counts).toEqual(reconciled.counts);

    const replay = await runCli(['dlq', 'replay', 'sms-send', '--json'], f.env);
    expect(replay.code, replay.stderr).toBe(0);
    expect((JSON.parse(replay.stdout) as { replayed: string[] }).replayed.sort()).toEqual(dryReport.replayed.sort());
    const final = await waitForBatch(sms, 'bu', (b) => settled(b) && !b.counts.failed, 60_000);
    const after = fleet.sim.stats().sms;
    expect(after).toMatchObject({ accepted: total, repeatedRecipients: 0, maxSendsPerRecipient: 1, distinctRecipients: total });
    expect(final.counts).toEqual(after.finalStatuses);
    expect((await sms.store.getMessage(dryReport.replayed[0]!))!.replays).toBe(1);
  }, 600_000);
});
