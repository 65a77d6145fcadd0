// The preview control API over HTTP: a bad spec is a 400 with paths, an activation is a 202
// (or the final state with ?wait=), its state and contacts by id, the DNC list, OpenAPI.
import { afterEach, describe, expect, it } from 'vitest';
import { startFleetIngress } from '../../src/fleet-ingress.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { PREVIEW_PROCESSORS } from '../../src/preview/processors.ts';
import { FIXTURE_LIST, LIST, startPreviewHarness, type PreviewHarness } from '../fixtures/preview/harness.ts';

let h: PreviewHarness | undefined;
afterEach(() => h?.cleanup());

const AUTH = { authorization: 'Bearer preview-api-token', 'content-type': 'application/json' };

describe('preview control API', () => {
  it('400 with paths, 202, ?wait= with the final state, state and contacts by id, DNC, OpenAPI', async () => {
    h = await startPreviewHarness('pvapi', { env: { ADMIN_TOKEN: 'preview-api-token' } });
    h.fleet.sim.preview.configure({ campaigns: [{ id: 'api-1' }, { id: 'api-2' }], contactLists: { [LIST]: { ...FIXTURE_LIST, count: 60 } } });
    const ingress = await startFleetIngress(loadConfig(h.fleet.env), createLogger({ level: 'silent' }), { host: '127.0.0.1', port: 0 });
    h.defer(() => ingress.shutdown());
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${ingress.url}/api${path}`, { method, headers: AUTH, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } } };
    };

    const bad = await call('POST', '/campaigns/previews', { campaignId: 'api-1', contactListId: 'CL-x', queueId: 'q-outbound' });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: 'VALIDATION' });
    expect(bad.json.error?.message).toContain('contactLists.0.id: must be a UUID');
    // PV-10: refused locally; nothing enqueued, CXone never asked.
    expect(await h.jobs()).toEqual([]);
    expect(h.fleet.sim.stats().preview).toMatchObject({ campaignListPages: 0, campaignGets: 0, contactPages: 0, suppressionPages: 0, puts: 0 });

    const queued = await call('POST', '/campaigns/previews', { campaignId: 'api-1', contactListId: LIST, queueId: 'q-outbound' });
    expect(queued.status).toBe(202);
    const activationId = queued.json.activationId as string;
    expect((await call('GET', `/campaigns/previews/${activationId}`)).json).toMatchObject({ activationId, status: 'queued' });

    h.fleet.workers(PREVIEW_PROCESSORS, ['previewActivation']);
    const waited = await call('POST', '/campaigns/previews?wait=30', { campaignId: 'api-2', contactListId: LIST, queueId: 'q-outbound', filters: [{ column: 'region', operator: 'EQUALS', value: 'NA-EAST' }] });
    expect(waited.status).toBe(200);
    expect(waited.json.state).toMatchObject({ status: 'active', counts: { fetched: 60, filtered: 40 } });
    const id2 = waited.json.activationId as string;
    const excluded = await call('GET', `/campaigns/previews/${id2}/contacts?reason=filtered&count=5`);
    expect((excluded.json.excluded as { reason: string }[]).map((x) => x.reason)).toEqual(Array(5).fill('filtered'));
    expect((await call('GET', '/campaigns/previews/nope')).status).toBe(404);

    const dnc = await call('POST', '/campaigns/dnc', { numbers: [{ number: '(415) 555-0100', reason: 'complaint' }, { number: '12' }] });
    expect(dnc.json).toMatchObject({ added: 1, invalid: [{ index: 1, input: '12' }] });
    expect((await call('GET', '/campaigns/dnc')).json).toMatchObject({ total: 1, data: [{ number: '+14155550100', reason: 'complaint', source: 'api' }] });

    const doc = (await (await fetch(`${ingress.url}/api/openapi.json`, { headers: AUTH })).json()) as { paths: Record<string, unknown> };
    for (const p of ['/api/campaigns/previews', '/api/campaigns/previews/{id}', '/api/campaigns/previews/{id}/contacts', '/api/campaigns/dnc']) expect(Object.keys(doc.paths)).toContain(p);
  });
});
