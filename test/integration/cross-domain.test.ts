// Across the campaigns and flows domains (X-1, X-2 of the companion, 5.1): events delivered
// through the real ingress are consumed by their workers (no queue fills up unread), and
// after a run no secret (the flow subscription's, referenced by variable name; the webhook
// HMAC secret; the OAuth client secret) is in any job, key or audit record under the run's
// Redis prefix.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CAMPAIGN_PROCESSORS } from '../../src/campaigns/processors.ts';
import { subscribeOnce } from '../../src/flows/subscribe-once.ts';
import { DEFAULT_CLIENT } from '../../src/simulator/config.ts';
import { signWebhook } from '../../src/webhook-signature.ts';
import { dumpPrefix } from '../fixtures/email-pipeline/harness.ts';
import { startFlowHarness, type FlowHarness } from '../fixtures/flows/publish-harness.ts';

const FLOW_SECRET = 'cross-domain-flow-secret-0123456789';
const FLOW_SECRET_ENV = 'CXONE_SECRET_XDOMAIN_FLOWS';
const WEBHOOK_SECRET = 'cross-domain-webhook-secret-42';
const CLIENT_SECRET = 'cross-domain-client-secret-7';
const EVENTS_PER_KIND = 50;
const WAIT = { timeout: 30_000, interval: 50 } as const;

let h: FlowHarness | undefined;
beforeEach(() => {
  // The ingress and the workers read secret references from their environment.
  vi.stubEnv(FLOW_SECRET_ENV, FLOW_SECRET);
});
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
  vi.unstubAllEnvs();
});

async function post(url: string, secret: string, body: Record<string, unknown>): Promise<number> {
  const raw = JSON.stringify(body);
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...signWebhook(secret, raw) }, body: raw });
  await res.arrayBuffer();
  return res.status;
}

describe('cross-domain', () => {
  it('X-1: 100 campaign and flow events through the ingress are all consumed; X-2: no secret in any job, key or audit record afterwards', async () => {
    h = await startFlowHarness('xdomain', {
      ingress: true,
      env: { WEBHOOK_SECRETS: WEBHOOK_SECRET, CXONE_CLIENT_SECRET: CLIENT_SECRET },
      sim: { clients: [{ ...DEFAULT_CLIENT, clientSecret: CLIENT_SECRET }] },
    });
    h.fleet.workers(CAMPAIGN_PROCESSORS, ['campaignEvent']);
    const base = h.ingressUrl!;
    // A real registration through the simulator (a CXone call with the client secret): the
    // ingress then verifies flow events with the secret its variable names.
    await subscribeOnce(h.rt, { url: `${base}/webhooks/flows/events`, secretEnv: FLOW_SECRET_ENV });

    const statuses: number[] = [];
    for (let i = 0; i < EVENTS_PER_KIND; i++) {
      statuses.push(
        await post(`${base}/webhooks/campaigns/events`, WEBHOOK_SECRET, {
          eventId: randomUUID(),
          eventType: 'campaign.status.changed',
          campaignId: `cmp-x-${i}`,
          timestamp: new Date().toISOString(),
          data: { status: 'RUNNING' },
        }),
        await post(`${base}/webhooks/flows/events`, FLOW_SECRET, {
          eventId: randomUUID(),
          eventType: 'flow.updated',
          flowId: `flow-x-${i}`,
          timestamp: new Date().toISOString(),
          data: { name: `flow ${i}`, version: 2 },
        }),
      );
    }
    expect(statuses.filter((s) => s !== 202)).toEqual([]);

    // nothing left waiting; every event ended as a completed job of its own queue.
    for (const key of ['campaignEvent', 'flowEvent'] as const) {
      const queue = h.rt.queues.get(key);
      await vi.waitFor(async () => {
        expect(await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed')).toEqual({
          waiting: 0,
          active: 0,
          delayed: 0,
          prioritized: 0,
          completed: EVENTS_PER_KIND,
          failed: 0,
        });
      }, WAIT);
    }

    // the whole prefix (queues and their jobs, stores, the audit log), read back as text.
    const dump = await dumpPrefix(h.rt, h.fleet.prefix);
    // The scan sees what it must: the jobs (an event id), the subscription (by reference), audit records.
    expect(dump).toContain('flow-x-49');
    expect(dump).toContain('cmp-x-49');
    expect(dump).toContain(FLOW_SECRET_ENV);
    expect(dump).toContain('flow.drift');
    for (const secret of [FLOW_SECRET, WEBHOOK_SECRET, CLIENT_SECRET]) expect(dump.includes(secret), `secret ${secret.slice(0, 12)}... in Redis`).toBe(false);
  }, 90_000);
});
