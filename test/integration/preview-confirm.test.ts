// Item 2h / PV-1's last clause through the real doors: the simulator signs
// `campaign.preview.activated` with the fleet's webhook secret and posts it to the URI the
// activation registered, which is the fleet ingress; the ingress verifies and enqueues it on
// campaign-event; the campaigns domain's worker hands it to the preview handler, which sets
// confirmedAt and observes the webhook lag. A forged event (bad signature) is refused at the
// door and confirms nothing.
import { afterEach, expect, it, vi } from 'vitest';
import { CAMPAIGN_PROCESSORS } from '../../src/campaigns/processors.ts';
import { startFleetIngress } from '../../src/fleet-ingress.ts';
import { createLogger } from '../../src/logger.ts';
import { PREVIEW_PROCESSORS } from '../../src/preview/processors.ts';
import { startWorkerPool } from '../../src/worker-pool.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../src/webhook-signature.ts';
import { FIXTURE_LIST, LIST, PREVIEW_WAIT, startPreviewHarness, type PreviewHarness } from '../fixtures/preview/harness.ts';

let h: PreviewHarness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

it('the signed activation event goes through the ingress and the campaign-event worker: confirmedAt set, webhook lag recorded', async () => {
  h = await startPreviewHarness('pvconf');
  const harness = h;
  const ingress = await startFleetIngress(harness.fleet.config, createLogger({ level: 'silent' }), { host: '127.0.0.1', port: 0 });
  harness.defer(() => ingress.shutdown());
  const eventsUrl = `${ingress.url}/webhooks/campaigns/events`;
  // The simulator signs with the secret the fleet verifies (WEBHOOK_SECRETS, its default here).
  const secret = harness.fleet.config.ingress.webhookSecrets[0]!;
  harness.fleet.sim.configure({ webhooks: { url: eventsUrl, secret, delayMs: 0 } });
  harness.fleet.sim.preview.configure({ campaigns: [{ id: 'camp-1' }], contactLists: { [LIST]: { ...FIXTURE_LIST, count: 100 } } });

  const eventRt = harness.fleet.runtime();
  const eventWorker = startWorkerPool(eventRt, CAMPAIGN_PROCESSORS, ['campaignEvent']);
  harness.defer(() => eventWorker.close());
  harness.fleet.workers(PREVIEW_PROCESSORS, ['previewActivation']);

  // A forged event first: refused by the ingress, nothing enqueued.
  const forged = JSON.stringify({ eventId: 'forged-1', eventType: 'campaign.preview.activated', campaignId: 'camp-1', data: { version: 99 } });
  const refused = await fetch(eventsUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [TIMESTAMP_HEADER]: String(Math.floor(Date.now() / 1000)), [SIGNATURE_HEADER]: 'sha256=00' },
    body: forged,
  });
  expect(refused.status).toBe(401);

  const { activationId } = await harness.svc.activate(harness.spec('camp-1', { webhook: { uri: eventsUrl } }));
  const r = await harness.settled(activationId);
  expect(r).toMatchObject({ status: 'active', version: 2 });
  expect(harness.fleet.sim.preview.webhooks()).toEqual([expect.objectContaining({ uri: eventsUrl, eventFilter: 'campaign.preview.activated' })]);

  const confirmed = await vi.waitFor(async () => {
    const s = (await harness.svc.status(activationId))!;
    expect(s.confirmedAt).toBeGreaterThan(0);
    return s;
  }, PREVIEW_WAIT);
  expect(confirmed.confirmedVersion).toBe(2);
  expect(confirmed.confirmedAt).toBeGreaterThanOrEqual(confirmed.activatedAt!);
  // The harness's own receiver saw nothing: the event took the fleet's door.
  expect(harness.confirmations).toEqual([]);
  expect(harness.fleet.sim.stats().preview.eventsSent).toEqual({ 'campaign.preview.activated': 1 });
  await vi.waitFor(async () => {
    const c = await eventRt.queues.get('campaignEvent').getJobCounts('waiting', 'active', 'completed', 'failed');
    expect(c).toMatchObject({ waiting: 0, active: 0, completed: 1, failed: 0 });
  }, PREVIEW_WAIT);

  const lag = ((await eventRt.metrics.registry.getSingleMetric('cxone_fleet_preview_webhook_lag_seconds')?.get())?.values ?? []) as { metricName?: string; value: number }[];
  expect(lag.find((v) => v.metricName === 'cxone_fleet_preview_webhook_lag_seconds_count')?.value).toBe(1);
  const sum = lag.find((v) => v.metricName === 'cxone_fleet_preview_webhook_lag_seconds_sum')?.value ?? -1;
  expect(sum).toBeCloseTo((confirmed.confirmedAt! - confirmed.activatedAt!) / 1000, 3);
});
