// Bounces: the bounce worker counts each event once (redelivered, duplicated or reordered),
// suppresses by the configured thresholds, and takes events from the ingress's signed
// webhook as CXone sends them.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { startFleetIngress } from '../../src/fleet-ingress.ts';
import { bounceCountsOf } from '../../src/email/bounce-processor.ts';
import { EMAIL_PROCESSORS } from '../../src/email/processors.ts';
import { startEmailHarness, type EmailHarness } from '../fixtures/email-pipeline/harness.ts';

let h: EmailHarness | undefined;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  await h?.cleanup();
  h = undefined;
});

const WAIT = { timeout: 20_000, interval: 25 } as const;
const DAY = 86_400_000;
let seq = 0;

function bounce(eventId: string, recipient: string, bounceType: string, atMs = Date.now()) {
  return {
    accountId: 'default',
    eventId,
    channelId: 'ch-1',
    messageId: `m-${++seq}`,
    recipient,
    bounceType,
    timestamp: new Date(atMs).toISOString(),
    receivedAt: Date.now(),
  };
}

async function drained(harness: EmailHarness) {
  await vi.waitFor(async () => {
    const c = await harness.rt.queues.get('emailBounce').getJobCounts('waiting', 'active', 'delayed', 'completed');
    expect((c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0)).toBe(0);
    expect(c.completed).toBeGreaterThan(0);
  }, WAIT);
}

describe('email bounces', () => {
  it('counts a redelivered event once and a reordered window correctly', async () => {
    h = await startEmailHarness('embounce');
    const add = (data: ReturnType<typeof bounce>, jobId: string) => h!.rt.enqueuer.enqueue('emailBounce', data, { jobId });
    const now = Date.now();
    // Same eventId three times under different job ids (a redelivery the job id did not catch).
    await add(bounce('ev-1', 'Ann@Example.com', 'soft_bounce', now - 3_000), 'j1');
    await add(bounce('ev-1', 'ann@example.com', 'soft_bounce', now - 3_000), 'j1-again');
    await add(bounce('ev-1', 'ann@example.com', 'soft_bounce', now - 3_000), 'j1-third');
    // Reordered: the newest first, then one from 9 days ago (outside the 7-day window).
    await add(bounce('ev-3', 'ann@example.com', 'mailbox-full', now - 1_000), 'j3');
    await add(bounce('ev-old', 'ann@example.com', '4.2.2', now - 9 * DAY), 'j-old');
    h.fleet.workers(EMAIL_PROCESSORS, ['emailBounce'], 4);
    await drained(h);

    const counts = await bounceCountsOf(h.rt.redis, h.fleet.prefix, 'ann@example.com');
    expect(counts.soft).toBe(3); // ev-1 once, ev-3, ev-old
    expect(counts.softInWindow).toBe(2); // ev-old is outside the window
    expect(await h.svc.suppressions.isSuppressed('ann@example.com')).toBe(false);

    // The third soft bounce inside the window suppresses (default soft x3 in 7 days).
    await add(bounce('ev-2', 'ann@example.com', 'Transient', now - 2_000), 'j2');
    await vi.waitFor(async () => expect(await h!.svc.suppressions.isSuppressed('ann@example.com')).toBe(true), WAIT);
    const s = await h.svc.suppressions.get('ann@example.com');
    expect(s?.class).toBe('soft');
    expect(s?.rawType).toBe('Transient');
    expect(s!.expiresAt).toBeGreaterThan(Date.now() + 300 * DAY);
  });

  it('suppresses by the configured thresholds: hard x1, complaint x1, soft as set', async () => {
    h = await startEmailHarness('emthresh');
    await h.svc.settings.set({ 'bounce.soft': 2, 'suppression.ttlDays': 30 });
    const items = [
      { data: bounce('h-1', 'hard@example.com', 'HardBounce') },
      { data: bounce('c-1', 'spam@example.com', 'complaint') },
      { data: bounce('s-1', 'soft@example.com', 'soft') },
      { data: bounce('s-2', 'soft@example.com', '450') },
      { data: bounce('s-3', 'once@example.com', 'soft') },
    ];
    await h.rt.enqueuer.enqueueBulk('emailBounce', items.map((i) => ({ ...i, opts: { jobId: i.data.eventId } })));
    h.fleet.workers(EMAIL_PROCESSORS, ['emailBounce'], 2);
    await drained(h);
    await vi.waitFor(async () => expect((await h!.svc.suppressions.list()).total).toBe(3), WAIT);
    const list = await h.svc.suppressions.list();
    expect(list.items.map((i) => `${i.address}:${i.class}`).sort()).toEqual(['hard@example.com:hard', 'soft@example.com:soft', 'spam@example.com:complaint']);
    expect(list.items[0]!.expiresAt).toBeLessThan(Date.now() + 31 * DAY);

    // One audit record per suppression, with the address masked.
    const audit = [];
    for await (const r of h.svc.audit.range(0, Date.now() + 1000)) if (r.kind === 'email.suppressed') audit.push(r);
    expect(audit.map((r) => r.recipient).sort()).toEqual(['h***@example.com', 's***@example.com', 's***@example.com']);

    // An admin removal sticks and forgets the counts.
    expect(await h.svc.suppressions.remove('HARD@example.com')).toBe(true);
    expect(await h.svc.suppressions.isSuppressed('hard@example.com')).toBe(false);
    expect((await bounceCountsOf(h.rt.redis, h.fleet.prefix, 'hard@example.com')).hard).toBe(0);
  });

  it('takes signed bounce webhooks from the simulator through the ingress; duplicates count once', async () => {
    h = await startEmailHarness('emwh');
    const ingress = await startFleetIngress(h.fleet.config, createLogger({ level: 'silent' }), { host: '127.0.0.1', port: 0 });
    closers.push(() => ingress.shutdown());
    h.fleet.sim.configure({ webhooks: { url: `${ingress.url}/webhooks/email/bounce`, secret: 'dev-webhook-secret', delayMs: 0 } });
    h.fleet.workers(EMAIL_PROCESSORS, ['emailBounce'], 2);

    const base = { channelId: 'ch-9', recipient: 'bob@example.com', bounceType: 'soft' } as const;
    h.fleet.sim.email.sendBounce({ ...base, messageId: 'm-1', eventId: 'wh-1' });
    h.fleet.sim.email.sendBounce({ ...base, messageId: 'm-1', eventId: 'wh-1' }); // CXone redelivers
    h.fleet.sim.email.sendBounce({ ...base, messageId: 'm-2', eventId: 'wh-2' });
    await vi.waitFor(() => expect(h!.fleet.sim.stats().webhooks.sent).toBe(3), WAIT);
    await drained(h);
    const counts = await bounceCountsOf(h.rt.redis, h.fleet.prefix, 'bob@example.com');
    expect(counts.soft).toBe(2);
    expect(await h.svc.suppressions.isSuppressed('bob@example.com')).toBe(false);

    h.fleet.sim.email.sendBounce({ ...base, messageId: 'm-3', eventId: 'wh-3', bounceType: '5.1.1' });
    await vi.waitFor(async () => expect(await h!.svc.suppressions.isSuppressed('bob@example.com')).toBe(true), WAIT);
    expect((await h.svc.suppressions.get('bob@example.com'))?.class).toBe('hard');
  });
});
