// Campaign launch end to end (LA-*): real Redis, the simulator over HTTP, workers in process.
// A launch is one step job; its status polls are waits of that job (delayed, scaled to
// 30 ms + 0-20 ms jitter); nothing sleeps.
import type { Job } from 'bullmq';
import { describe, expect, it, vi } from 'vitest';
import { createAuditLog } from '../../src/audit.ts';
import { CAMPAIGN_PROCESSORS, campaignProcessorsWith } from '../../src/campaigns/processors.ts';
import { campaignJobIds, campaignKeys } from '../../src/campaigns/keys.ts';
import { campaignWorkerDeps } from '../../src/campaigns/worker-deps.ts';
import { startFleetIngress } from '../../src/fleet-ingress.ts';
import { createLogger } from '../../src/logger.ts';
import { launchSpecSchema, pollPhase } from '../../src/domain/campaigns/launch.ts';
import { savedStep } from '../../src/queues/step-job.ts';
import type { CampaignsConfigInput } from '../../src/simulator/campaigns-config.ts';
import { awaitLaunch, useCampaignFleets, type CampaignHarness } from '../helpers/campaigns.ts';
import { jobEnded } from '../helpers/jobs.ts';

const WAIT = { timeout: 20_000, interval: 20 } as const;
const SPEC = { name: 'Spring renewals', contactListId: 'CL-839201-AJF2', pacing: { callsPerMinute: 10, maxConcurrent: 20 } };

type Harness = CampaignHarness;
const fleets = useCampaignFleets();

function start(label: string, sim: CampaignsConfigInput = {}, env: Record<string, string> = {}, tokenLifetimeS?: number): Promise<Harness> {
  return fleets.start(label, {
    campaigns: sim,
    sim: tokenLifetimeS === undefined ? undefined : { tokenLifetimeS },
    env: { CAMPAIGN_POLL_INTERVAL_MS: '30', CAMPAIGN_POLL_JITTER_MS: '20', PACING_CHECK_EVERY_MS: '60000', CXONE_BREAKER_FAILURES: '1000', ...env },
  });
}

const settled = (x: Harness, launchId: string) => awaitLaunch(x, launchId, ['running', 'failed'], WAIT.timeout);

async function jobOf(x: Harness, launchId: string): Promise<Job> {
  return (await x.rt.queues.get('campaignOperation').getJob(campaignJobIds.launch(launchId)))!;
}

const finalJob = (x: Harness, launchId: string): Promise<Job> => jobEnded(x.rt.queues.get('campaignOperation'), campaignJobIds.launch(launchId), WAIT);

describe('campaign launch (LA-*)', () => {
  it('LA-1: contact list ok -> 201 -> 202 -> 2 x QUEUED, 2 x INITIALIZING -> RUNNING; polls are waits of one job; pacing scheduler; breaker success; audit', async () => {
    const x = await start('la1');
    const delays: number[] = [];
    x.fleet.workers(
      campaignProcessorsWith({
        random: () => {
          delays.push(0.5);
          return 0.5;
        },
      }),
      ['campaignOperation'],
    );
    const { launchId } = await x.svc.launch(SPEC, { launchId: 'la1' });
    const l = await settled(x, launchId);
    expect(l.status).toBe('running');
    expect(l.cxoneStatus).toBe('RUNNING');
    expect(l.polls).toBe(5);
    expect(l.settledBy).toBe('poll');
    const sim = x.fleet.sim.stats().campaigns;
    expect(sim.created).toBe(1);
    expect(sim.starts).toBe(1);
    expect(sim.contactListReads).toBe(1);
    expect(sim.polls[l.campaignId!]).toBe(5);
    const job = await finalJob(x, launchId);
    expect(await job.getState()).toBe('completed');
    expect(job.attemptsMade).toBe(1);
    // The account's first launch: the first phase of its counter.
    expect(savedStep(job.data)).toMatchObject({ step: 'poll', polls: 5, state: { pollPhase: pollPhase(1) } });
    // Each wait draws its point in the launch's slot once.
    expect(delays.length).toBe(5);
    const view = await x.svc.campaign(l.campaignId!);
    expect(view?.pacing).toMatchObject({ status: 'active', cpm: 10, policy: 'seed+abandon-cap' });
    expect(view?.breaker.state).toBe('closed');
    expect(await x.rt.queues.get('pacingCheck').getJobScheduler(campaignJobIds.pacingScheduler(l.campaignId!))).toBeTruthy();
    const audit: string[] = [];
    for await (const r of createAuditLog({ redis: x.rt.redis, prefix: x.fleet.prefix }).range(0, Date.now() + 1000)) audit.push(`${r.kind}:${r.status}`);
    expect(audit).toEqual(['campaign.create:created', 'campaign.launch:running']);
  });

  it('LA-2: a contact list that does not exist fails for good and creates nothing', async () => {
    const x = await start('la2');
    x.fleet.workers(CAMPAIGN_PROCESSORS, ['campaignOperation']);
    const { launchId } = await x.svc.launch({ ...SPEC, contactListId: 'CL-x' });
    const l = await settled(x, launchId);
    expect(l.errorCode).toBe('CONTACT_LIST_NOT_FOUND');
    expect(l.error).toBe('contact list CL-x does not exist');
    expect(x.fleet.sim.stats().campaigns.created).toBe(0);
    expect((await finalJob(x, launchId)).attemptsMade).toBe(1);
  });

  it('LA-3 / LA-4: not DNC compliant, or validated 40 days ago, fails before create; CAMPAIGN_DNC_MAX_AGE_DAYS=0 brings the seed behaviour back', async () => {
    const lists = [
      { id: 'CL-nodnc', dncCompliant: false, validatedDaysAgo: 1 },
      { id: 'CL-stale', dncCompliant: true, validatedDaysAgo: 40 },
    ];
    const x = await start('la3', { contactLists: lists });
    x.fleet.workers(CAMPAIGN_PROCESSORS, ['campaignOperation']);
    const a = await settled(x, (await x.svc.launch({ ...SPEC, name: 'a', contactListId: 'CL-nodnc' })).launchId);
    expect(a.errorCode).toBe('CONTACT_LIST_NOT_DNC_COMPLIANT');
    expect(a.error).toBe('contact list CL-nodnc is not DNC compliant');
    const b = await settled(x, (await x.svc.launch({ ...SPEC, name: 'b', contactListId: 'CL-stale' })).launchId);
    expect(b.errorCode).toBe('CONTACT_LIST_DNC_STALE');
    expect(b.error).toMatch(/^contact list CL-stale was last validated \d{4}-\d\d-\d\d \(40 days ago; at most 31\)$/);
    expect(x.fleet.sim.stats().campaigns.created).toBe(0);

    const y = await start('la4', { contactLists: lists }, { CAMPAIGN_DNC_MAX_AGE_DAYS: '0' });
    y.fleet.workers(CAMPAIGN_PROCESSORS, ['campaignOperation']);
    const c = await settled(y, (await y.svc.launch({ ...SPEC, contactListId: 'CL-stale' })).launchId);
    expect(c.status).toBe('running');
  });

  it('LA-5: ERROR with lastError and without details; each a dialer breaker failure', async () => {
    const x = await start('la5', { outcomeByName: { withDetails: 'error', bare: 'error' } });
    x.fleet.workers(CAMPAIGN_PROCESSORS, ['campaignOperation']);
    const a = await settled(x, (await x.svc.launch({ ...SPEC, name: 'withDetails' })).launchId);
    expect(a.errorCode).toBe('CAMPAIGN_ERROR');
    expect(a.error).toBe('campaign error: code=DIALER_SESSION_TIMEOUT, message=dialer session did not open within 30 s');
    // The launch record is settled before the breaker counts it; the job ends after both.
    await finalJob(x, a.launchId);
    expect((await x.svc.breakers.view(a.campaignId!)).failures).toBe(1);
    x.fleet.sim.campaigns.configure({ errorWithoutDetails: true });
    const b = await settled(x, (await x.svc.launch({ ...SPEC, name: 'bare' })).launchId);
    expect(b.error).toBe('campaign entered ERROR state without details');
    const job = await finalJob(x, b.launchId);
    expect((await x.svc.breakers.view(b.campaignId!)).failures).toBe(1);
    expect(job.failedReason).toBe('CAMPAIGN_ERROR: campaign entered ERROR state without details');
  });

  it('LA-6: STOPPED while starting -> CAMPAIGN_STOPPED and a breaker failure', async () => {
    const x = await start('la6', { outcome: 'stopped' });
    x.fleet.workers(CAMPAIGN_PROCESSORS, ['campaignOperation']);
    const l = await settled(x, (await x.svc.launch(SPEC)).launchId);
    expect(l.errorCode).toBe('CAMPAIGN_STOPPED');
    expect(l.error).toBe(`campaign ${l.campaignId} reached STOPPED while starting`);
    await finalJob(x, l.launchId);
    expect((await x.svc.breakers.view(l.campaignId!)).failures).toBe(1);
  });

  it('LA-7: a start that never settles ends at the deadline with the poll count and seconds', async () => {
    const x = await start('la7', { outcome: 'stuck' });
    x.fleet.workers(CAMPAIGN_PROCESSORS, ['campaignOperation']);
    const l = await settled(x, (await x.svc.launch(SPEC, { startTimeoutMs: 600 })).launchId);
    expect(l.errorCode).toBe('DEADLINE_EXCEEDED');
    expect(l.error).toMatch(new RegExp(`^campaign ${l.campaignId} still INITIALIZING after \\d+ polls over \\d+ s`));
  });

  it('LA-8: a 429 on a poll pauses the account for Retry-After, spends no attempt, and doubles the next interval', async () => {
    const x = await start('la8', { script: [{ route: 'get', status: 429, retryAfterS: 0.2, times: 1 }], queuedPolls: 3 });
    const waits: number[] = [];
    x.fleet.workers(campaignProcessorsWith({ random: () => 0 }), ['campaignOperation']);
    const { launchId } = await x.svc.launch(SPEC, { launchId: 'la8' });
    // Every delay the job is given, as the job's own options say.
    const queue = x.rt.queues.get('campaignOperation');
    const seen = setInterval(() => {
      void queue.getJob(campaignJobIds.launch(launchId)).then((j) => {
        if (j && j.delay && waits[waits.length - 1] !== j.delay) waits.push(j.delay);
      });
    }, 2);
    const l = await settled(x, launchId);
    clearInterval(seen);
    expect(l.status).toBe('running');
    expect(l.rateLimited).toBe(1);
    const job = await finalJob(x, launchId);
    expect(job.attemptsMade).toBe(1);
    expect(savedStep(job.data)?.state).toMatchObject({ rateLimited: 1 });
    // The first wait (before the 429): 30 ms + up to a 40 ms period to the launch's slot.
    // Every wait after it: the doubled 60 ms + up to a period. BullMQ keeps the delay left
    // when its script ran, a few ms under the wait on a busy machine, hence the margins.
    expect(waits[0]).toBeLessThanOrEqual(70);
    const after = waits.slice(1);
    expect(after.length).toBeGreaterThanOrEqual(1);
    expect(Math.min(...after)).toBeGreaterThan(50);
    expect(Math.max(...after)).toBeLessThanOrEqual(100);
    expect(x.fleet.sim.stats().campaigns.scripted).toBe(1);
  });

  it('LA-9: a status response without its status field fails with the seed message', async () => {
    const x = await start('la9', { omitStatusOnce: true });
    x.fleet.workers(CAMPAIGN_PROCESSORS, ['campaignOperation']);
    const l = await settled(x, (await x.svc.launch(SPEC)).launchId);
    expect(l.errorCode).toBe('CXONE_BAD_RESPONSE');
    expect(l.error).toBe('status field missing in response');
  });

  it('LA-10: a worker killed between create and start, and one killed after the start was sent: one campaign, one start', async () => {
    const x = await start('la10');
    let crashed = 0;
    const crashing = x.fleet.workers(
      campaignProcessorsWith({
        onStep: (step) => {
          if (step === 'created' && crashed++ === 0) throw new Error('simulated crash between create and start');
        },
      }),
      ['campaignOperation'],
    );
    const first = await x.svc.launch(SPEC, { launchId: 'la10a' });
    await vi.waitFor(() => expect(crashed).toBe(1), WAIT);
    await crashing.close();
    let crashedAfterStart = 0;
    x.fleet.workers(
      campaignProcessorsWith({
        onStep: (step) => {
          if (step === 'start-requested' && crashedAfterStart++ === 0) throw new Error('simulated crash after the start was sent');
        },
      }),
      ['campaignOperation'],
    );
    const l = await settled(x, first.launchId);
    expect(l.status).toBe('running');
    expect(crashedAfterStart).toBe(1);
    const sim = x.fleet.sim.stats().campaigns;
    expect(sim.created).toBe(1);
    expect(sim.idempotentReplays).toBe(0);
    expect(sim.starts).toBe(1);
    expect(sim.startConflicts).toBe(0);
    expect((await finalJob(x, first.launchId)).attemptsMade).toBe(3);
  });

  it('LA-11: tokens that live 2 s (3 s minus a 1 s refresh margin) during a 10 s start: no poll fails on a 401, at most ceil(10/2) + 1 token requests', async () => {
    const x = await start('la11', { advanceBy: 'time', queuedMs: 4_000, initializingMs: 6_000 }, { CAMPAIGN_POLL_INTERVAL_MS: '300', CAMPAIGN_POLL_JITTER_MS: '200', CXONE_TOKEN_REFRESH_MARGIN_S: '1' }, 3);
    x.fleet.workers(CAMPAIGN_PROCESSORS, ['campaignOperation']);
    const l = await settled(x, (await x.svc.launch(SPEC)).launchId);
    expect(l.status).toBe('running');
    expect(l.polls).toBeGreaterThanOrEqual(10);
    const sim = x.fleet.sim.stats();
    expect(sim.responses['401'] ?? 0).toBe(0);
    // Renewed along the way (a 10 s start outlives four 2 s tokens), but not per poll.
    expect(sim.tokenRequests).toBeGreaterThanOrEqual(4);
    expect(sim.tokenRequests).toBeLessThanOrEqual(Math.ceil(10 / 2) + 1);
    expect((await finalJob(x, l.launchId)).attemptsMade).toBe(1);
  });

  it('LA-12: a signed campaign.status.changed through the ingress settles RUNNING before the next poll; that poll ends stale without a GET', async () => {
    // The start takes 200 ms (time mode); the first poll waits 60 s, so only the event can settle it first.
    const x = await start('la12', { advanceBy: 'time', queuedMs: 100, initializingMs: 100 }, { CAMPAIGN_POLL_INTERVAL_MS: '60000', CAMPAIGN_POLL_JITTER_MS: '0' });
    const ingress = await startFleetIngress(x.fleet.config, createLogger({ level: 'silent' }), { host: '127.0.0.1', port: 0 });
    fleets.closeAfter(() => ingress.shutdown());
    const eventsUrl = `${ingress.url}/webhooks/campaigns/events`;
    x.fleet.sim.configure({ webhooks: { url: eventsUrl, secret: 'dev-webhook-secret', delayMs: 0 } });
    x.fleet.sim.campaigns.configure({ statusEventsUrl: eventsUrl });
    x.fleet.workers(CAMPAIGN_PROCESSORS, ['campaignOperation', 'campaignEvent']);
    const { launchId } = await x.svc.launch(SPEC, { launchId: 'la12' });

    const l = await settled(x, launchId);
    expect(l.status).toBe('running');
    expect(l.cxoneStatus).toBe('RUNNING');
    expect(l.settledBy).toBe('event');
    expect(l.polls).toBe(0);
    // QUEUED, INITIALIZING, RUNNING: each signed, accepted by the ingress and consumed.
    await vi.waitFor(() => expect(x.fleet.sim.stats().webhooks.sent).toBe(3), WAIT);
    expect(x.fleet.sim.stats().campaigns.statusEvents).toBe(3);
    await vi.waitFor(async () => {
      const c = await x.rt.queues.get('campaignEvent').getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
      expect(c).toMatchObject({ waiting: 0, active: 0, delayed: 0, completed: 3, failed: 0 });
    }, WAIT);
    const job = await jobOf(x, launchId);
    expect(await job.getState()).toBe('delayed');

    // The poll runs now instead of in 60 s: it finds the launch settled and never asks CXone.
    await job.promote();
    const done = await finalJob(x, launchId);
    expect(await done.getState()).toBe('completed');
    expect(done.returnvalue).toMatchObject({ campaignId: l.campaignId, status: 'RUNNING', stale: true, settledBy: 'event' });
    expect(done.attemptsMade).toBe(1);
    expect(x.fleet.sim.stats().campaigns.polls[l.campaignId!]).toBe(0);
    // Settled once: one breaker success, one launch audit record, pacing started.
    expect(await x.svc.breakers.view(l.campaignId!)).toMatchObject({ state: 'closed', failures: 0 });
    const audit: string[] = [];
    for await (const r of createAuditLog({ redis: x.rt.redis, prefix: x.fleet.prefix }).range(0, Date.now() + 1000)) audit.push(`${r.kind}:${r.status}`);
    expect(audit).toEqual(['campaign.create:created', 'campaign.launch:running']);
    expect(await x.rt.queues.get('pacingCheck').getJobScheduler(campaignJobIds.pacingScheduler(l.campaignId!))).toBeTruthy();
  });

  it('LA-13: a process that died after settling RUNNING, before pacing started: whoever finds the launch settled starts it, once; stopped pacing stays stopped', async () => {
    const x = await start('la13');
    x.fleet.workers(CAMPAIGN_PROCESSORS, ['campaignOperation']);
    const l = await settled(x, (await x.svc.launch(SPEC, { launchId: 'la13' })).launchId);
    await finalJob(x, l.launchId);
    const id = l.campaignId!;
    const scheduler = () => x.rt.queues.get('pacingCheck').getJobScheduler(campaignJobIds.pacingScheduler(id));
    expect(await scheduler()).toBeDefined();
    // The state a process leaves that died right after its claim: the launch running, no pacing.
    await x.rt.queues.get('pacingCheck').removeJobScheduler(campaignJobIds.pacingScheduler(id));
    await x.rt.redis.del(campaignKeys(x.fleet.prefix).pacing(id));
    await x.rt.redis.hdel(campaignKeys(x.fleet.prefix).launch(l.launchId), 'pacingStartedAt');
    const d = campaignWorkerDeps(x.rt);
    const log = createLogger({ level: 'silent' });
    // The job's re-run polls again and finds it claimed: not settled twice, but pacing starts.
    const again = await d.settle((await x.svc.getLaunch(l.launchId))!, id, 'RUNNING', undefined, 'poll', log);
    expect(again.settled).toBe(false);
    expect(await d.pacing.get(id)).toMatchObject({ launchId: l.launchId, status: 'active', cpm: SPEC.pacing.callsPerMinute });
    expect(await scheduler()).toBeDefined();
    // A check has changed the rate since; the late one of poll and event changes nothing.
    await d.pacing.set(id, { cpm: 17 });
    await d.settle.ensurePacing((await x.svc.getLaunch(l.launchId))!);
    expect(await d.pacing.get(id)).toMatchObject({ status: 'active', cpm: 17 });
    // Stopped pacing of this launch stays stopped, with no scheduler.
    await d.schedule.end(id);
    await d.settle.ensurePacing((await x.svc.getLaunch(l.launchId))!);
    expect((await d.pacing.get(id))?.status).toBe('stopped');
    expect(await scheduler()).toBeUndefined();
    // Its record gone (30 days after the end) and an event then: not started again.
    await x.rt.redis.del(campaignKeys(x.fleet.prefix).pacing(id));
    await d.settle.ensurePacing((await x.svc.getLaunch(l.launchId))!);
    expect(await d.pacing.get(id)).toBeUndefined();
    expect(await scheduler()).toBeUndefined();
    // A job step written after an event settled the launch (between the start and 'polling')
    // leaves the outcome as it is.
    await d.launches.setStatus(l.launchId, 'polling');
    expect((await x.svc.getLaunch(l.launchId))!.status).toBe('running');
    // Settled once: one launch audit record.
    const audit: string[] = [];
    for await (const r of createAuditLog({ redis: x.rt.redis, prefix: x.fleet.prefix }).range(0, Date.now() + 1000)) audit.push(`${r.kind}:${r.status}`);
    expect(audit.filter((a) => a.startsWith('campaign.launch'))).toEqual(['campaign.launch:running']);
  });

  it('CA-2 (service side): the same launchId twice is one launch and one job', async () => {
    const x = await start('ca2');
    const a = await x.svc.launch(SPEC, { launchId: 'same' });
    const b = await x.svc.launch(SPEC, { launchId: 'same' });
    expect(a.created).toBe(true);
    expect(b.created).toBe(false);
    x.fleet.workers(CAMPAIGN_PROCESSORS, ['campaignOperation']);
    await settled(x, 'same');
    expect(x.fleet.sim.stats().campaigns.created).toBe(1);
  });

  it('CA-2: a launch recorded whose job was never added (its request failed in between) gets the job from the retry, and runs once', async () => {
    const x = await start('ca2lost');
    // What the failed request left: the record, pending, and no job.
    expect(await x.svc.launches.create('lost-job', launchSpecSchema.parse(SPEC))).toBe(true);
    expect(await jobOf(x, 'lost-job')).toBeUndefined();
    const retry = await x.svc.launch(SPEC, { launchId: 'lost-job' });
    expect(retry.created).toBe(false);
    x.fleet.workers(CAMPAIGN_PROCESSORS, ['campaignOperation']);
    expect((await settled(x, 'lost-job')).status).toBe('running');
    // Once running, a further retry adds nothing.
    await finalJob(x, 'lost-job');
    await x.svc.launch(SPEC, { launchId: 'lost-job' });
    expect(await x.rt.queues.get('campaignOperation').getJobCountByTypes('waiting', 'delayed', 'active', 'prioritized')).toBe(0);
    expect(x.fleet.sim.stats().campaigns).toMatchObject({ created: 1, starts: 1 });
  });

  it('a second launch of the same name finds the campaign by its 409 and does not start it twice', async () => {
    const x = await start('la409');
    x.fleet.workers(CAMPAIGN_PROCESSORS, ['campaignOperation']);
    const a = await settled(x, (await x.svc.launch(SPEC)).launchId);
    const b = await settled(x, (await x.svc.launch(SPEC)).launchId);
    expect(b.campaignId).toBe(a.campaignId);
    expect(b.status).toBe('running');
    const sim = x.fleet.sim.stats().campaigns;
    expect(sim.created).toBe(1);
    expect(sim.nameConflicts).toBe(1);
    expect(sim.starts).toBe(1);
    expect(sim.startConflicts).toBe(1);
  });
});
