// The campaigns control API over HTTP (CA-1, CA-2, PA-3's 503): the fleet's own ingress as
// `cxone-fleet ingress` runs it, real Redis, the simulator over HTTP, workers in process.
// The simulator's clock runs 600x the wall so the dialer model has figures at every check.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CAMPAIGN_PROCESSORS } from '../../src/campaigns/processors.ts';
import { loadConfig } from '../../src/config.ts';
import { startFleetIngress } from '../../src/fleet-ingress.ts';
import { createLogger } from '../../src/logger.ts';
import type { CampaignsConfigInput } from '../../src/simulator/campaigns-config.ts';
import { startTestFleet, type TestFleet } from '../helpers/fleet.ts';

const WAIT = { timeout: 20_000, interval: 25 } as const;
const TOKEN = 'campaigns-api-token';
const SPEC = { name: 'API launch', contactListId: 'CL-839201-AJF2', pacing: { callsPerMinute: 10, maxConcurrent: 50 } };

let fleet: TestFleet | undefined;
let stopIngress: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stopIngress?.();
  await fleet?.cleanup();
  [fleet, stopIngress] = [undefined, undefined];
});

function fastClock(factor = 600): () => number {
  const base = Date.now();
  const p0 = performance.now();
  return () => base + (performance.now() - p0) * factor;
}

interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown> & { error?: { code: string; message: string; details?: { issues?: { path: string }[] } } };
}

async function start(label: string, sim: CampaignsConfigInput = {}, env: Record<string, string> = {}) {
  fleet = await startTestFleet({
    label,
    sim: { now: fastClock() },
    env: { CAMPAIGN_POLL_INTERVAL_MS: '20', CAMPAIGN_POLL_JITTER_MS: '10', PACING_CHECK_EVERY_MS: '100', CXONE_BREAKER_FAILURES: '1000', ADMIN_TOKEN: TOKEN, ...env },
  });
  fleet.sim.campaigns.configure(sim);
  const ingress = await startFleetIngress(loadConfig(fleet.env), createLogger({ level: 'silent' }), { host: '127.0.0.1', port: 0 });
  stopIngress = () => ingress.shutdown();
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const res = await fetch(`${ingress.url}/api${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as Answer['json']) : {} };
  };
}

describe('campaigns control API', () => {
  it("CA-1: the seed's routes answer a wrong method with 405 + Allow, bad JSON with 400 INVALID_JSON, a missing field with 400 naming it", async () => {
    const call = await start('caapi1');
    const get = await call('GET', '/orchestrate/launch');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(get.json.error!.code).toBe('METHOD_NOT_ALLOWED');
    const pacing = await call('POST', '/orchestrate/pacing', { campaignId: 'c' });
    expect(pacing.status).toBe(405);
    expect(pacing.headers.get('allow')).toBe('PATCH');
    const summary = await call('DELETE', '/orchestrate/summary');
    expect(summary.status).toBe(405);
    expect(summary.headers.get('allow')).toBe('GET, HEAD');
    // A path no route has stays a 404.
    expect((await call('GET', '/orchestrate/nothing')).status).toBe(404);

    const badJson = await call('POST', '/orchestrate/launch', '{"name": "x",');
    expect(badJson.status).toBe(400);
    expect(badJson.json.error!.code).toBe('INVALID_JSON');
    const noId = await call('PATCH', '/orchestrate/pacing', { callsPerMinute: 12 });
    expect(noId.status).toBe(400);
    expect(noId.json.error!.details!.issues!.map((i) => i.path)).toEqual(['campaignId']);
    const badSpec = await call('POST', '/campaigns/launches', { name: 'x', pacing: { callsPerMinute: 0 } });
    expect(badSpec.status).toBe(400);
    expect(badSpec.json.error!.message).toMatch(/contactListId/);
    expect(badSpec.json.error!.message).toMatch(/pacing\.callsPerMinute/);
    expect(fleet!.sim.stats().campaigns.created).toBe(0);
  });

  it('CA-2: the same Idempotency-Key is the same launch; ?wait answers RUNNING; every route is in the OpenAPI document', async () => {
    const call = await start('caapi2');
    const key = { 'idempotency-key': 'launch-once-2025' };
    const a = await call('POST', '/campaigns/launches', SPEC, key);
    expect(a.status).toBe(202);
    expect(a.json.status).toBe('launched');
    const b = await call('POST', '/campaigns/launches', SPEC, key);
    expect(b.json.launchId).toBe(a.json.launchId);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    fleet!.workers(CAMPAIGN_PROCESSORS, ['campaignOperation', 'pacingCheck']);
    const launch = await call('GET', `/campaigns/launches/${String(a.json.launchId)}`);
    expect(launch.status).toBe(200);

    const waited = await call('POST', '/orchestrate/launch?wait=20', { ...SPEC, name: 'API waited' });
    expect(waited.status).toBe(200);
    expect(waited.json.status).toBe('RUNNING');
    const campaignId = String(waited.json.campaignId);
    await vi.waitFor(async () => expect(((await call('GET', `/campaigns/launches/${String(a.json.launchId)}`)).json as { status: string }).status).toBe('running'), WAIT);
    expect(fleet!.sim.stats().campaigns.created).toBe(2);

    // `?wait` answers once the running launch's pacing has started: a pacing request right after is taken.
    const view = await call('GET', `/campaigns/${campaignId}`);
    expect(view.json).toMatchObject({ campaignId, pacing: { status: 'active' }, breaker: { state: 'closed' } });
    expect((await call('GET', '/campaigns/nope')).status).toBe(404);

    const manual = await call('PATCH', `/campaigns/${campaignId}/pacing?wait=20`, { callsPerMinute: 7 });
    expect(manual.status).toBe(200);
    expect(manual.json).toMatchObject({ callsPerMinute: 7, policy: 'manual', message: 'Pacing adjusted successfully' });
    expect(fleet!.sim.stats().campaigns.cpmHistory[campaignId]?.at(-1)).toBe(7);

    const summary = await call('GET', `/orchestrate/summary?campaignId=${campaignId}&refresh=true`);
    expect(summary.status).toBe(200);
    expect(typeof summary.json.totalCalls).toBe('number');
    expect(typeof summary.json.asOf).toBe('number');
    const compliance = await call('GET', `/campaigns/${campaignId}/compliance`);
    expect(compliance.status).toBe(200);
    expect(compliance.json).toMatchObject({ campaignId, policy: 'manual', limit: 0.03 });

    const stopped = await call('POST', `/campaigns/${campaignId}/stop?wait=20`);
    expect(stopped.status).toBe(200);
    expect(stopped.json).toMatchObject({ campaignId, status: 'STOPPED' });
    const after = await call('PATCH', `/campaigns/${campaignId}/pacing`, { auto: true });
    expect(after.status).toBe(409);
    expect(after.json.error!.code).toBe('CAMPAIGN_NOT_RUNNING');

    const doc = (await call('GET', '/openapi.json')).json as { paths: Record<string, Record<string, unknown>> };
    const listed = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    expect(listed).toEqual(
      expect.arrayContaining([
        'POST /api/campaigns/launches',
        'GET /api/campaigns/launches/{id}',
        'GET /api/campaigns/{id}',
        'POST /api/campaigns/{id}/stop',
        'PATCH /api/campaigns/{id}/pacing',
        'GET /api/campaigns/{id}/summary',
        'GET /api/campaigns/{id}/compliance',
        'POST /api/orchestrate/launch',
        'PATCH /api/orchestrate/pacing',
        'GET /api/orchestrate/summary',
      ]),
    );
  });

  it('a launch whose contact list fails its checks answers ?wait with 422 and the reason', async () => {
    const call = await start('caapi422');
    fleet!.workers(CAMPAIGN_PROCESSORS, ['campaignOperation']);
    const r = await call('POST', '/campaigns/launches?wait=20', { ...SPEC, contactListId: 'CL-x' });
    expect(r.status).toBe(422);
    expect(r.json.error).toMatchObject({ code: 'CONTACT_LIST_NOT_FOUND', message: 'contact list CL-x does not exist' });
  });

  it('PA-3 (API): while the dialer breaker is open, PATCH pacing answers 503 CIRCUIT_OPEN with Retry-After <= 30', async () => {
    const call = await start('caapi503', { dialer: { answerSchedule: [{ atMs: 0, p: 0.5 }] } }, { DIALER_BREAKER_OPEN_MS: '30000' });
    fleet!.workers(CAMPAIGN_PROCESSORS, ['campaignOperation', 'pacingCheck']);
    const launched = await call('POST', '/campaigns/launches?wait=20', SPEC);
    expect(launched.status).toBe(200);
    const campaignId = String(launched.json.campaignId);
    fleet!.sim.campaigns.configure({ script: [{ route: 'realtime', status: 500, times: 3 }] });
    await vi.waitFor(async () => expect(((await call('GET', `/campaigns/${campaignId}`)).json as { breaker: { state: string } }).breaker.state).toBe('open'), WAIT);
    const patchesBefore = fleet!.sim.stats().campaigns.cpmHistory[campaignId]?.length ?? 0;
    for (const [path, body] of [
      [`/campaigns/${campaignId}/pacing`, { callsPerMinute: 12 }],
      ['/orchestrate/pacing', { campaignId, callsPerMinute: 12 }],
    ] as const) {
      const r = await call('PATCH', path, body);
      expect(r.status).toBe(503);
      expect(r.json.error).toMatchObject({ code: 'CIRCUIT_OPEN', message: 'Circuit breaker open' });
      const retryAfter = Number(r.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(30);
    }
    expect(fleet!.sim.stats().campaigns.cpmHistory[campaignId]?.length ?? 0).toBe(patchesBefore);
  });
});
