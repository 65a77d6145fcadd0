// PV-3 (P-20 fixed, B7): five activations at once on two worker processes, room for two.
// The tier semaphore is one Lua script in Redis, so which two win varies; how many never does.
import { afterEach, expect, it, vi } from 'vitest';
import { killWorkers, spawnWorker } from '../helpers/worker-processes.ts';
import { LIST, FIXTURE_LIST, startPreviewHarness, type PreviewHarness } from '../fixtures/preview/harness.ts';

let h: PreviewHarness | undefined;
afterEach(async () => {
  await killWorkers();
  await h?.cleanup();
  h = undefined;
});

it('PV-3: one active, a limit of 3, five activations at once on two worker processes → exactly two more active', async () => {
  h = await startPreviewHarness('pv3');
  const ids = ['c1', 'c2', 'c3', 'c4', 'c5'];
  h.fleet.sim.preview.configure({
    campaigns: [{ id: 'already', status: 'active' }, ...ids.map((id) => ({ id }))],
    contactLists: { [LIST]: { ...FIXTURE_LIST, count: 300 } },
  });
  const started = await Promise.all(ids.map((id) => h!.svc.activate(h!.spec(id, { constraints: { maxConcurrentPreviews: 3 } }))));
  const env = { ...h.fleet.env, PUBLIC_URL: h.receiverUrl.replace('/webhooks/campaigns/events', '') };
  spawnWorker(env, ['--queues', 'preview-activation', '--concurrency', '4']);
  spawnWorker(env, ['--queues', 'preview-activation', '--concurrency', '4']);

  await vi.waitFor(
    async () => {
      const states = await Promise.all(started.map((s) => h!.svc.status(s.activationId)));
      expect(states.every((r) => r?.status === 'active' || r?.status === 'failed')).toBe(true);
    },
    { timeout: 60_000, interval: 100 },
  );
  const finals = await Promise.all(started.map((s) => h!.svc.status(s.activationId)));
  expect(finals.filter((r) => r?.status === 'active')).toHaveLength(2);
  const refused = finals.filter((r) => r?.status === 'failed');
  expect(refused).toHaveLength(3);
  for (const r of refused) expect(r).toMatchObject({ errorCode: 'PREVIEW_TIER_LIMIT', error: 'concurrent preview limit reached: 3/3' });
  const stats = h.fleet.sim.stats().preview;
  expect(stats.activePreviews).toBe(3);
  expect(stats.maxActivePreviews).toBeLessThanOrEqual(3);
  expect(stats.puts).toBe(2);
});
