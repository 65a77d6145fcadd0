// Pacing checks (PA-1, PA-3, PA-4, PA-5, SU-1): one job scheduler per running campaign, real
// Redis, the simulator over HTTP on a clock 600x faster than the wall (100 ms = 1 simulated
// minute), so the dialer model has figures at every check.
import { describe, expect, it, vi } from 'vitest';
import { createAuditLog } from '../../src/audit.ts';
import { CAMPAIGN_PROCESSORS } from '../../src/campaigns/processors.ts';
import { campaignJobIds } from '../../src/campaigns/keys.ts';
import type { CampaignsConfigInput } from '../../src/simulator/campaigns-config.ts';
import { awaitLaunch, useCampaignFleets, type CampaignHarness } from '../helpers/campaigns.ts';

const WAIT = { timeout: 20_000, interval: 25 } as const;
const SPEC = { name: 'Pacing', contactListId: 'CL-839201-AJF2', pacing: { callsPerMinute: 10, maxConcurrent: 50 } };

type Harness = CampaignHarness;
const fleets = useCampaignFleets();

function fastClock(factor = 600): () => number {
  const base = Date.now();
  const p0 = performance.now();
  return () => base + (performance.now() - p0) * factor;
}

function start(label: string, sim: CampaignsConfigInput, env: Record<string, string> = {}): Promise<Harness> {
  return fleets.start(label, {
    campaigns: sim,
    sim: { now: fastClock() },
    // The realtime window is 300 simulated s = 0.5 s here: a raise waits for it.
    env: { CAMPAIGN_POLL_INTERVAL_MS: '20', CAMPAIGN_POLL_JITTER_MS: '10', PACING_CHECK_EVERY_MS: '100', PACING_REALTIME_WINDOW_MS: '500', CXONE_BREAKER_FAILURES: '1000', ...env },
  });
}

async function running(x: Harness): Promise<string> {
  const { launchId } = await x.svc.launch(SPEC);
  return (await awaitLaunch(x, launchId, ['running'], WAIT.timeout)).campaignId!;
}

const history = (x: Harness, id: string) => x.fleet.sim.stats().campaigns.cpmHistory[id] ?? [];

// The document's rule (L-40) is the `seed` policy; the default steers from it by the
// abandonment budget once live answers are counted (PA-U4), so tests about the rule itself,
// the breaker and the lifecycle pin `seed`.
const SEED = { PACING_POLICY: 'seed' };

describe('pacing checks', () => {
  it('PA-1: with no abandonment the default climbs to 25 calls/min, then no further PATCH while steady; decisions recorded with their inputs; 202 counts as success', async () => {
    const x = await start('pa1', { dialer: { answerSchedule: [{ atMs: 0, p: 0.5 }], agents: 40 }, patchStatus: 202 });
    x.fleet.workers(CAMPAIGN_PROCESSORS, ['campaignOperation', 'pacingCheck']);
    const id = await running(x);
    // 15 one-step raises, each after a whole realtime window (0.5 s).
    await vi.waitFor(() => expect(history(x, id).at(-1)).toBe(25), { ...WAIT, timeout: 40_000 });
    const patches = history(x, id).length;
    const checks = (await x.svc.pacing.decisions(id, 500)).length;
    await vi.waitFor(async () => expect((await x.svc.pacing.decisions(id, 500)).length).toBeGreaterThanOrEqual(checks + 3), WAIT);
    expect(history(x, id)).toHaveLength(patches);
    const [last] = await x.svc.pacing.decisions(id, 1);
    expect(last).toMatchObject({ policy: 'seed+abandon-cap', from: 25, to: 25, kind: 'hold', patched: false });
    expect(last!.inputs.answerRate).toBeGreaterThan(0.35);
    expect((await x.svc.campaign(id))?.pacing?.cpm).toBe(25);
    const summary = await x.svc.summary(id);
    expect(summary?.totalCalls).toBeGreaterThan(0);
  });

  it('PA-1: answer rate 0.1 -> 5 calls/min (seed)', async () => {
    const x = await start('pa1low', { dialer: { answerSchedule: [{ atMs: 0, p: 0.1 }] } }, SEED);
    x.fleet.workers(CAMPAIGN_PROCESSORS, ['campaignOperation', 'pacingCheck']);
    const id = await running(x);
    await vi.waitFor(() => expect(history(x, id).at(-1)).toBe(5), WAIT);
  });

  it('PA-2: a 409 on PATCH fails the check with the seed message and counts on the dialer breaker', async () => {
    const x = await start('pa2', { dialer: { answerSchedule: [{ atMs: 0, p: 0.5 }] }, script: [{ route: 'patch', status: 409, times: 1 }] }, SEED);
    x.fleet.workers(CAMPAIGN_PROCESSORS, ['campaignOperation', 'pacingCheck']);
    const id = await running(x);
    await vi.waitFor(async () => expect((await x.svc.pacing.decisions(id, 500)).some((d) => d.error === 'pacing update failed with status 409')).toBe(true), WAIT);
    await vi.waitFor(async () => {
      const failed = await x.rt.queues.get('pacingCheck').getJobs(['failed']);
      expect(failed.map((j) => j.failedReason)).toContain('PACING_UPDATE_FAILED: pacing update failed with status 409');
    }, WAIT);
    // The breaker counted the failure; the next good check resets it, and pacing carries on.
    await vi.waitFor(() => expect(history(x, id).at(-1)).toBe(25), WAIT);
  });

  it('PA-3: three failures open the dialer breaker; checks wait without calls; after the open time one probe, two successes close it', async () => {
    const x = await start('pa3', { dialer: { answerSchedule: [{ atMs: 0, p: 0.5 }] } }, { ...SEED, DIALER_BREAKER_OPEN_MS: '1500' });
    x.fleet.workers(CAMPAIGN_PROCESSORS, ['campaignOperation', 'pacingCheck']);
    const id = await running(x);
    x.fleet.sim.campaigns.configure({ script: [{ route: 'realtime', status: 500, times: 3 }] });
    await vi.waitFor(async () => expect((await x.svc.breakers.view(id)).state).toBe('open'), WAIT);
    const v = await x.svc.breakers.view(id);
    expect(v.retryAfterMs).toBeGreaterThan(0);
    expect(v.retryAfterMs).toBeLessThanOrEqual(1500);
    const readsWhenOpened = x.fleet.sim.stats().campaigns.realtimeReads;
    // While open nothing reaches CXone for this campaign.
    await vi.waitFor(async () => expect((await x.svc.breakers.view(id)).state).not.toBe('open'), WAIT);
    expect(x.fleet.sim.stats().campaigns.realtimeReads).toBeLessThanOrEqual(readsWhenOpened + 1);
    await vi.waitFor(async () => expect((await x.svc.breakers.view(id)).state).toBe('closed'), WAIT);
  });

  it('PA-4: the scheduler goes when the campaign stops, and no PATCH follows', async () => {
    const x = await start('pa4', { dialer: { answerSchedule: [{ atMs: 0, p: 0.5 }] } }, SEED);
    x.fleet.workers(CAMPAIGN_PROCESSORS, ['campaignOperation', 'pacingCheck']);
    const id = await running(x);
    await vi.waitFor(() => expect(history(x, id).at(-1)).toBe(25), WAIT);
    // Stopped on CXone's side (an operator): the next check finds it and removes its scheduler.
    x.fleet.sim.campaigns.setStatus(id, 'STOPPED');
    // Pacing is marked stopped, then its scheduler removed.
    await vi.waitFor(async () => {
      expect(await x.rt.queues.get('pacingCheck').getJobScheduler(campaignJobIds.pacingScheduler(id))).toBeUndefined();
      expect((await x.svc.campaign(id))?.pacing?.status).toBe('stopped');
    }, WAIT);
    const patches = x.fleet.sim.stats().campaigns.patches;
    // No check is left to run: nothing waiting, delayed or active on the pacing queue.
    await vi.waitFor(async () => {
      const counts = await x.rt.queues.get('pacingCheck').getJobCounts('waiting', 'delayed', 'active', 'prioritized');
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(0);
    }, WAIT);
    expect(x.fleet.sim.stats().campaigns.patches).toBe(patches);
  });

  it('PA-4: a stop through the fleet stops the campaign and removes the scheduler', async () => {
    const x = await start('pa4b', {});
    x.fleet.workers(CAMPAIGN_PROCESSORS, ['campaignOperation', 'pacingCheck']);
    const id = await running(x);
    // The launch reads "running" a moment before its scheduler is in place.
    await vi.waitFor(async () => expect(await x.rt.queues.get('pacingCheck').getJobScheduler(campaignJobIds.pacingScheduler(id))).toBeTruthy(), WAIT);
    await x.svc.stop(id);
    await vi.waitFor(async () => expect(await x.rt.queues.get('pacingCheck').getJobScheduler(campaignJobIds.pacingScheduler(id))).toBeUndefined(), WAIT);
    expect(x.fleet.sim.stats().campaigns.stops).toBe(1);
    expect(x.fleet.sim.campaigns.campaigns().find((c) => c.id === id)?.status).toBe('STOPPED');
  });

  it('PA-6: a rate noted as sent whose answer was never recorded (the process died) is sent again by the next check, recorded and audited, before it decides', async () => {
    const x = await start('pa6', { dialer: { answerSchedule: [{ atMs: 0, p: 0.5 }] } }, SEED);
    // No checks yet: only the launch runs.
    const ops = x.fleet.workers(CAMPAIGN_PROCESSORS, ['campaignOperation']);
    const id = await running(x);
    await ops.close();
    await vi.waitFor(async () => expect((await x.svc.pacing.get(id))?.status).toBe('active'), WAIT);
    // The state a process leaves that noted 7 calls/min and died before recording CXone's answer.
    const seq = await x.svc.pacing.beginChange(id, 7);
    expect((await x.svc.pacing.get(id))?.pending).toEqual({ cpm: 7, seq });
    x.fleet.workers(CAMPAIGN_PROCESSORS, ['campaignOperation', 'pacingCheck']);
    // The next check sends 7 first, then decides from it (seed at 0.5: 25, once the realtime
    // figures show it).
    await vi.waitFor(() => {
      expect(history(x, id)[0]).toBe(7);
      expect(history(x, id).at(-1)).toBe(25);
    }, WAIT);
    const decisions = await x.svc.pacing.decisions(id, 500);
    const resent = decisions.find((d) => d.seq === seq);
    expect(resent).toMatchObject({ from: 10, to: 7, kind: 'lower', patched: true, reason: expect.stringContaining('sent again under the same key') });
    // The resent change is audited first; the next change starts from it.
    await vi.waitFor(async () => {
      const audit: string[] = [];
      for await (const r of createAuditLog({ redis: x.rt.redis, prefix: x.fleet.prefix }).range(0, Date.now() + 1000)) if (r.kind === 'campaign.pacing.changed') audit.push(`${r.entityId}:${r.status}`);
      expect(audit[0]).toBe('resent:10->7');
      expect(audit[1]).toMatch(/^\w+:7->\d+$/);
    }, WAIT);
  });

  it('PA-5: two worker pools, one scheduler -> one check job per scheduler iteration, one realtime read per check', async () => {
    const x = await start('pa5', { dialer: { answerSchedule: [{ atMs: 0, p: 0.3 }] } }, { PACING_CHECK_EVERY_MS: '200' });
    x.fleet.workers(CAMPAIGN_PROCESSORS, ['campaignOperation', 'pacingCheck']);
    x.fleet.workers(CAMPAIGN_PROCESSORS, ['pacingCheck']);
    const id = await running(x);
    const queue = x.rt.queues.get('pacingCheck');
    await vi.waitFor(async () => expect((await x.svc.pacing.decisions(id, 500)).length).toBeGreaterThanOrEqual(8), WAIT);
    // Freeze: no further iterations, and the one in flight (if any) finishes.
    await queue.removeJobScheduler(campaignJobIds.pacingScheduler(id));
    await vi.waitFor(async () => expect(await queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized')).toEqual({ waiting: 0, delayed: 0, active: 0, prioritized: 0 }), WAIT);
    const jobs = await queue.getJobs(['completed', 'failed']);
    // A scheduler's job id carries its iteration's slot ("repeat:<scheduler>:<millis>"): two
    // jobs in one slot would be two checks in one interval.
    const slots = jobs.map((j) => Number(String(j.id).split(':').at(-1)));
    expect(slots.every(Number.isFinite)).toBe(true);
    expect(new Set(slots).size).toBe(jobs.length);
    const skippedBy = (j: (typeof jobs)[number]) => (j.returnvalue as { skipped?: string } | null)?.skipped;
    const checks = jobs.filter((j) => j.returnvalue && !skippedBy(j));
    // An iteration that starts while the previous check still runs (a slow box) skips, by the lock.
    expect(jobs.filter((j) => !checks.includes(j)).map((j) => skippedBy(j) ?? j.failedReason)).toEqual(jobs.filter((j) => !checks.includes(j)).map(() => 'another check is running'));
    expect(checks.length).toBeGreaterThanOrEqual(8);
    // Each check read the realtime figures once and recorded one decision.
    const decisions = await x.svc.pacing.decisions(id, 500);
    expect(decisions).toHaveLength(checks.length);
    expect(x.fleet.sim.stats().campaigns.realtimeReads).toBe(checks.length);
  });

  it('SU-1: the summary is the dialer model\'s counters; a 503 on statistics -> "summary returned status 503"', async () => {
    const x = await start('su1', {});
    x.fleet.workers(CAMPAIGN_PROCESSORS, ['campaignOperation']);
    const id = await running(x);
    const { jobId } = await x.svc.refreshSummary(id);
    const queue = x.rt.queues.get('campaignOperation');
    await vi.waitFor(async () => expect(await (await queue.getJob(jobId))?.getState()).toBe('completed'), WAIT);
    const s = await x.svc.summary(id);
    const model = x.fleet.sim.campaigns.figures(id)!.statistics;
    expect(s!.totalCalls).toBeLessThanOrEqual(model.totalCalls);
    expect(Object.keys(s!).sort()).toEqual(['abandoned', 'answered', 'asOf', 'avgTalkTime', 'connectRate', 'totalCalls']);
    x.fleet.sim.campaigns.configure({ script: [{ route: 'statistics', status: 503, times: 10 }] });
    const bad = await x.svc.refreshSummary(id);
    await vi.waitFor(async () => expect(await (await queue.getJob(bad.jobId))?.getState()).toBe('failed'), { timeout: 60_000, interval: 50 });
    expect((await queue.getJob(bad.jobId))!.failedReason).toMatch(/summary returned status 503$/);
  }, 70_000);
});
