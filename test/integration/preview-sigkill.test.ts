// PV-8 (P-01): a worker process SIGKILLed after contact page 2 is checkpointed. The simulator
// holds page 3's answer, so the kill lands while the worker is known to wait on it (its
// checkpoint says two pages are in); another worker process takes the stalled job over when
// its lock expires and resumes at page 3. The eligible set equals an uninterrupted run's.
import { once } from 'node:events';
import { afterEach, expect, it, vi } from 'vitest';
import { FIXTURE_LIST, LIST, PREVIEW_WAIT, startPreviewHarness, type PreviewHarness } from '../fixtures/preview/harness.ts';
import { killWorkers, spawnWorker } from '../helpers/worker-processes.ts';

let h: PreviewHarness | undefined;
afterEach(async () => {
  await killWorkers();
  await h?.cleanup();
  h = undefined;
});

// Worker processes boot (and compile TypeScript) inside these waits: a busy machine needs longer.
const BOOT_WAIT = { ...PREVIEW_WAIT, timeout: 60_000 };

it('PV-8: a worker killed after page 2 is resumed at page 3 by another process, with the same eligible set as an uninterrupted run', async () => {
  // A short lock: the dead worker's job is found stalled and taken over within a second or two.
  h = await startPreviewHarness('pv8', { env: { WORKER_LOCK_MS: '1000' } });
  const harness = h;
  harness.fleet.sim.preview.configure({ campaigns: [{ id: 'camp-1' }, { id: 'camp-2' }], contactLists: { [LIST]: FIXTURE_LIST }, holdContactPage: 3 });
  const worker = () => spawnWorker(harness.fleet.env, ['--queues', 'preview-activation']);
  const spec = (campaignId: string) => harness.spec(campaignId, { filters: [{ column: 'region', operator: 'IN', values: ['NA-EAST', 'NA-WEST'] }] });

  const a = await harness.svc.activate(spec('camp-1'));
  const victim = worker();
  await vi.waitFor(async () => {
    expect((await harness.svc.status(a.activationId))?.contactPages).toBe(2);
    expect(harness.fleet.sim.stats().preview.held).toBe(1);
  }, BOOT_WAIT);
  victim.kill('SIGKILL');
  await once(victim, 'exit');
  expect(harness.fleet.sim.preview.release()).toBe(1); // answered to a dead socket
  const checkpoint = (await harness.svc.status(a.activationId))!;
  expect(checkpoint).toMatchObject({ status: 'running', step: 'contacts', contactPages: 2, counts: expect.objectContaining({ fetched: 500 }) });

  worker();
  const ra = await harness.settled(a.activationId, BOOT_WAIT.timeout);
  expect(ra.error).toBeUndefined();
  expect(ra).toMatchObject({ status: 'active', contactPages: 4, counts: expect.objectContaining({ fetched: 1000 }) });
  // Pages 1 and 2 were read once; page 3 twice (the dead worker's request, then the resume); page 4 once.
  expect(harness.fleet.sim.stats().preview.contactPagesByNumber).toEqual({ 1: 1, 2: 1, 3: 2, 4: 1 });
  expect(harness.fleet.sim.stats().preview.puts).toBe(1);

  const b = await harness.svc.activate(spec('camp-2'));
  const rb = await harness.settled(b.activationId);
  expect(rb.status).toBe('active');
  expect(ra.counts).toEqual(rb.counts);
  expect(ra.counts.eligible).toBeGreaterThan(0);
  expect(await harness.svc.contacts(a.activationId, { count: 10_000 })).toEqual(await harness.svc.contacts(b.activationId, { count: 10_000 }));
  expect(await harness.svc.contacts(a.activationId, { excluded: true, count: 10_000 })).toEqual(await harness.svc.contacts(b.activationId, { excluded: true, count: 10_000 }));
}, 150_000); // two worker processes boot in it, one after the other
