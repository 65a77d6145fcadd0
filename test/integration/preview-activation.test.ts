// Preview activation end to end (PV-1, PV-2, PV-4..PV-7, PV-9..PV-13; PV-3 and PV-8 run
// worker processes in files of their own): real Redis, the simulator over HTTP, workers in
// process. Waits are on Redis state, never fixed sleeps.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAuditLog } from '../../src/audit.ts';
import { previewKeys } from '../../src/preview/keys.ts';
import { PREVIEW_PROCESSORS, previewProcessorsWith } from '../../src/preview/processors.ts';
import { createTierSlots } from '../../src/preview/tier-slots.ts';
import { DEFAULT_CLIENT } from '../../src/simulator/config.ts';
import { contactE164 } from '../../src/simulator/outbound-data.ts';
import { ALL_SCOPES, SCOPES } from '../../src/simulator/scopes.ts';
import { FIXTURE_LIST, LIST, PREVIEW_WAIT, startPreviewHarness, type PreviewHarness } from '../fixtures/preview/harness.ts';

let h: PreviewHarness | undefined;
afterEach(async () => {
  // PV-5 (no PUT without If-Match) is asserted by the harness's cleanup, in every preview test.
  await h?.cleanup();
  h = undefined;
});

const WAIT = PREVIEW_WAIT;

/** Seeds campaigns and the standard list. */
function seed(harness: PreviewHarness, extra: Record<string, unknown> = {}) {
  harness.fleet.sim.preview.configure({
    campaigns: [{ id: 'camp-1', fields: { description: 'spring renewals' } }],
    contactLists: { [LIST]: FIXTURE_LIST },
    ...extra,
  });
}

describe('preview activation', () => {
  it('PV-1: filters, scrubs (suppressions in mixed formats, DNC), activates with the GET ETag, audits, and is confirmed by the event', async () => {
    h = await startPreviewHarness('pv1');
    // 120 suppressions: every 8th contact from 0, alternately E.164 and national format.
    seed(h, { suppressions: { fromList: { listId: LIST, every: 8, count: 120 } } });
    const kept = (i: number) => i % 3 === 0 && i % 5 !== 3; // NA-EAST with a usable number
    const suppressed = (i: number) => i % 8 === 0 && i / 8 < 120;
    const dncIdx = [...Array(1000).keys()].filter((i) => kept(i) && !suppressed(i)).slice(0, 10);
    const added = await h.svc.dnc.add(
      dncIdx.map((i) => ({ number: contactE164(FIXTURE_LIST, i).replace('+1', '') })),
      'test',
    );
    expect(added).toMatchObject({ added: 10, invalid: [] });

    const spec = h.spec('camp-1', { filters: [{ column: 'region', operator: 'EQUALS', value: 'NA-EAST' }], webhook: { uri: h.receiverUrl } });
    const { activationId } = await h.svc.activate(spec);
    h.fleet.workers(PREVIEW_PROCESSORS, ['previewActivation']);
    const r = await h.settled(activationId);
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('active');

    const ids = [...Array(1000).keys()];
    const expected = {
      eligible: ids.filter((i) => kept(i) && !suppressed(i) && !dncIdx.includes(i)).length,
      filtered: ids.filter((i) => i % 3 !== 0).length,
      invalid_phone: ids.filter((i) => i % 3 === 0 && i % 5 === 3).length,
      suppressed: ids.filter((i) => kept(i) && suppressed(i)).length,
      dnc: 10,
      deferred: 0,
      fetched: 1000,
    };
    expect(r.counts).toEqual(expected);
    expect((await h.svc.contacts(activationId)) as { eligible: string[] }).toHaveProperty('eligible.length', expected.eligible);
    const dncListed = (await h.svc.contacts(activationId, { reason: 'dnc' })) as { excluded: { id: string }[] };
    expect(dncListed.excluded.map((x) => x.id)).toEqual(dncIdx.map((i) => `c-${i}`));

    const stats = h.fleet.sim.stats().preview;
    expect(stats).toMatchObject({ contactPages: 4, suppressionPages: 1, puts: 1, status412: 0, campaignGets: 1, webhooksRegistered: 1 });
    const campaign = h.fleet.sim.preview.campaign('camp-1')!;
    expect(campaign).toMatchObject({ status: 'active', version: 2 });
    expect(campaign.fields.description).toBe('spring renewals');
    expect(r.version).toBe(2);

    const audit = [];
    for await (const a of createAuditLog({ redis: h.rt.redis, prefix: h.fleet.prefix }).range(0, Date.now() + 1000)) audit.push(a);
    const rec = audit.find((a) => a.kind === 'campaign.preview.activated');
    expect(rec).toMatchObject({ status: 'success', campaignId: 'camp-1', details: { successRate: 1, eligible: expected.eligible, dnc: 10, suppressed: expected.suppressed } });
    expect(rec?.latencyMs).toBeGreaterThanOrEqual(0);

    await vi.waitFor(async () => expect((await h!.svc.status(activationId))?.confirmedAt).toBeGreaterThan(0), WAIT);
    expect(h.confirmations).toEqual([expect.objectContaining({ confirmed: true, activationId })]);
    expect((await h.svc.status(activationId))?.confirmedVersion).toBe(2);
    // One job from start to end; the scratch suppression set is gone.
    expect((await h.jobs()).map((j) => j.id)).toEqual([`preview-activation.${activationId}`]);
    expect(await h.rt.redis.exists(previewKeys(h.fleet.prefix).suppressed(activationId))).toBe(0);
  });

  it('PV-2: three active previews and a limit of 3 refuse the activation before any PUT', async () => {
    h = await startPreviewHarness('pv2');
    seed(h, { campaigns: ['a', 'b', 'c'].map((id) => ({ id, status: 'active' })).concat([{ id: 'camp-1', status: 'inactive' }]), pageSizeCap: 2 });
    const { activationId } = await h.svc.activate(h.spec('camp-1'));
    h.fleet.workers(PREVIEW_PROCESSORS, ['previewActivation']);
    const r = await h.settled(activationId);
    expect(r).toMatchObject({ status: 'failed', errorCode: 'PREVIEW_TIER_LIMIT' });
    expect(r.error).toBe('concurrent preview limit reached: 3/3');
    // All pages were counted (page size capped at 2).
    expect(h.fleet.sim.stats().preview).toMatchObject({ puts: 0, campaignListPages: 2 });
  });

  it('PV-4: one forced 412 succeeds on the next attempt; five fail after 3 with the conflict message', async () => {
    h = await startPreviewHarness('pv4');
    seed(h, { campaigns: [{ id: 'camp-1' }, { id: 'camp-2' }], conflictOnNextPut: 1 });
    const one = await h.svc.activate(h.spec('camp-1'));
    h.fleet.workers(PREVIEW_PROCESSORS, ['previewActivation']);
    const r1 = await h.settled(one.activationId);
    expect(r1).toMatchObject({ status: 'active', preconditionRetries: 1 });

    h.fleet.sim.preview.configure({ conflictOnNextPut: 5 });
    const five = await h.svc.activate(h.spec('camp-2'));
    const r5 = await h.settled(five.activationId);
    expect(r5.status).toBe('failed');
    expect(r5.errorCode).toBe('CXONE_PRECONDITION_FAILED');
    expect(r5.error).toMatch(/^optimistic lock conflict: campaign modified by another process \(3 attempts, last version \d+\)$/);
    expect(h.fleet.sim.stats().preview.status412).toBe(4);
    expect(await createTierSlots({ redis: h.rt.redis, prefix: h.fleet.prefix, accountId: 'default' }).held()).toEqual(['camp-1']);
  });

  it('PV-4: a change to a field we do not set survives our PUT; a change to one we set fails naming it', async () => {
    h = await startPreviewHarness('pv4b');
    seed(h, { campaigns: [{ id: 'camp-1' }, { id: 'camp-2' }], touchBeforeNextPut: { description: 'edited by someone else' } });
    h.fleet.workers(PREVIEW_PROCESSORS, ['previewActivation']);
    const a = await h.svc.activate(h.spec('camp-1'));
    expect(await h.settled(a.activationId)).toMatchObject({ status: 'active', preconditionRetries: 1 });
    expect(h.fleet.sim.preview.campaign('camp-1')?.fields.description).toBe('edited by someone else');

    h.fleet.sim.preview.configure({ touchBeforeNextPut: { previewSettings: { previewDialingMode: 'timed', agentPromptEnabled: true } } });
    const b = await h.svc.activate(h.spec('camp-2'));
    const rb = await h.settled(b.activationId);
    expect(rb).toMatchObject({ status: 'failed', errorCode: 'PREVIEW_CONFLICT' });
    expect(rb.error).toBe('campaign camp-2 changed fields this spec sets: previewSettings.previewDialingMode');
    expect(h.fleet.sim.preview.campaign('camp-2')?.fields.previewSettings).toEqual({ previewDialingMode: 'timed', agentPromptEnabled: true });
  });

  it('PV-6, PV-9: capped pages are followed by nextPageUri, each contact seen once; "(415) 555-0100" is excluded by "+14155550100"', async () => {
    h = await startPreviewHarness('pv6');
    seed(h, {
      pageSizeCap: 100,
      contactLists: { [LIST]: { ...FIXTURE_LIST, overrides: { '0': { phone: '(415) 555-0100' } } } },
      // The second names contact c-6 by its id (the seed's lookup): c-6 must stay eligible.
      suppressions: { numbers: [{ phoneNumber: '+14155550100' }, { phoneNumber: 'c-6' }] },
    });
    const { activationId } = await h.svc.activate(h.spec('camp-1'));
    h.fleet.workers(PREVIEW_PROCESSORS, ['previewActivation']);
    const r = await h.settled(activationId);
    expect(r.status).toBe('active');
    expect(h.fleet.sim.stats().preview.contactPages).toBe(10);
    expect(r.counts.fetched).toBe(1000);
    const eligible = ((await h.svc.contacts(activationId)) as { eligible: string[] }).eligible;
    const excluded = ((await h.svc.contacts(activationId, { excluded: true })) as { excluded: { id: string; reason: string }[] }).excluded;
    expect(new Set([...eligible, ...excluded.map((x) => x.id)]).size).toBe(1000);
    expect(excluded.filter((x) => x.reason === 'suppressed').map((x) => x.id)).toEqual(['c-0']);
    expect(eligible).not.toContain('c-0');
    expect(eligible).toContain('c-6');
    // Listed in list order, page by page: a window across pages, and one reason's window.
    expect(eligible).toEqual([...eligible].sort((a, b) => Number(a.slice(2)) - Number(b.slice(2))));
    expect(await h.svc.contacts(activationId, { offset: 150, count: 100 })).toEqual({ eligible: eligible.slice(150, 250) });
    const invalid = excluded.filter((x) => x.reason === 'invalid_phone');
    expect(invalid.length).toBeGreaterThan(60);
    expect(await h.svc.contacts(activationId, { reason: 'invalid_phone', offset: 20, count: 40 })).toEqual({ excluded: invalid.slice(20, 60) });
  });

  it('PV-7: a 429 on page 3 spends no attempt and resumes at page 3', async () => {
    h = await startPreviewHarness('pv7');
    seed(h, { scripted: [{ route: 'contacts', status: 429, page: 3, retryAfterS: 1, times: 1 }] });
    const { activationId } = await h.svc.activate(h.spec('camp-1'));
    h.fleet.workers(PREVIEW_PROCESSORS, ['previewActivation']);
    const r = await h.settled(activationId);
    expect(r.status).toBe('active');
    expect(h.fleet.sim.stats().preview).toMatchObject({ contactPages: 4, contactPagesByNumber: { 1: 1, 2: 1, 3: 1, 4: 1 }, scriptedServed: 1 });
    expect(r.contactPages).toBe(4);
    const [job] = await h.jobs();
    expect(job!.attemptsMade).toBe(1);
  });

  it('a worker that dies right after its PUT went through does not PUT again on the retry', async () => {
    h = await startPreviewHarness('pvput');
    seed(h);
    let crashed = 0;
    const crashAfterPut = (step: string) => {
      if (step === 'activate' && crashed++ === 0) throw new Error('simulated crash after the PUT');
    };
    h.fleet.workers(previewProcessorsWith({ onStep: crashAfterPut }), ['previewActivation']);
    const { activationId } = await h.svc.activate(h.spec('camp-1'));
    const r = await h.settled(activationId);
    expect(crashed).toBe(1);
    expect(r).toMatchObject({ status: 'active', version: 2 });
    expect(h.fleet.sim.stats().preview).toMatchObject({ puts: 1, status412: 0 });
  });

  it('PV-10: an unknown queue is refused by CXone and the error names agentDirectives.0.queueId', async () => {
    h = await startPreviewHarness('pv10');
    seed(h);
    const { activationId } = await h.svc.activate(h.spec('camp-1', { queueId: 'q-nowhere' }));
    h.fleet.workers(PREVIEW_PROCESSORS, ['previewActivation']);
    const r = await h.settled(activationId);
    expect(r).toMatchObject({ status: 'failed', errorCode: 'CXONE_BAD_REQUEST' });
    expect(r.error).toContain('agentDirectives.0.queueId: unknown queue q-nowhere');
    expect(h.fleet.sim.stats().preview.status400).toBe(1);
    expect(await createTierSlots({ redis: h.rt.redis, prefix: h.fleet.prefix, accountId: 'default' }).held()).toEqual([]);
  });

  it('PV-11: a client without suppressions:read fails naming the scope and the role', async () => {
    const noSuppressions = { ...DEFAULT_CLIENT, scopes: ALL_SCOPES.filter((s) => s !== SCOPES.suppressionsRead) };
    h = await startPreviewHarness('pv11', { sim: { clients: [noSuppressions] } });
    seed(h);
    const { activationId } = await h.svc.activate(h.spec('camp-1'));
    h.fleet.workers(PREVIEW_PROCESSORS, ['previewActivation']);
    const r = await h.settled(activationId);
    expect(r.errorCode).toBe('CXONE_FORBIDDEN');
    expect(r.error).toContain('CXone outboundSuppressions answered 403 (missing scope suppressions:read)');
    expect(r.error).toContain('Outbound Campaign Administrator role');
  });

  it('PV-12: a clock past the deadline between pages fails naming the step and page, and releases the tier slot', async () => {
    h = await startPreviewHarness('pv12');
    seed(h);
    let offset = 0;
    h.fleet.workers(
      previewProcessorsWith({
        now: () => Date.now() + offset,
        onStep: (step, _id, page) => {
          if (step === 'page' && page === 2) offset = 61_000;
        },
      }),
      ['previewActivation'],
    );
    const { activationId } = await h.svc.activate(h.spec('camp-1', { deadlineMs: 60_000 }));
    const r = await h.settled(activationId);
    expect(r).toMatchObject({ status: 'failed', errorCode: 'DEADLINE_EXCEEDED' });
    expect(r.error).toBe(`preview activation ${activationId} passed its 60 s deadline at step contacts (page 3)`);
    expect(await createTierSlots({ redis: h.rt.redis, prefix: h.fleet.prefix, accountId: 'default' }).held()).toEqual([]);
  });

  it('PV-13: at 07:30 in New York, New York contacts are deferred to 08:00 local; ZIP and area code in different zones get the intersection', async () => {
    h = await startPreviewHarness('pv13');
    seed(h, {
      contactLists: {
        [LIST]: { count: 10, phoneFormats: ['e164'], areaCodes: ['212'], timeZones: ['America/New_York'], overrides: { '9': { timeZone: null, zip: '10001', phone: '+14155550100' } } },
      },
    });
    const at = Date.UTC(2026, 5, 10, 11, 30); // 07:30 EDT
    h.fleet.workers(previewProcessorsWith({ now: () => at }), ['previewActivation']);
    const { activationId } = await h.svc.activate(h.spec('camp-1', { callingWindow: { profile: 'us-tsr' } }));
    const r = await h.settled(activationId);
    expect(r.status).toBe('active');
    expect(r.counts).toMatchObject({ eligible: 0, deferred: 10 });
    const deferred = ((await h.svc.contacts(activationId, { reason: 'deferred' })) as { excluded: { id: string; nextCallableAt?: number }[] }).excluded;
    expect(deferred.filter((x) => x.id !== 'c-9').every((x) => x.nextCallableAt === Date.UTC(2026, 5, 10, 12))).toBe(true);
    expect(deferred.find((x) => x.id === 'c-9')?.nextCallableAt).toBe(Date.UTC(2026, 5, 10, 15));
  });
});
