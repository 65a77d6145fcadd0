// The simulator's outbound module over HTTP, on its own: versions and ETags (428, 412, the
// lenient If-Match forms, ETags off), forced conflicts, its own PreviewConfig check, paged
// contacts with a size cap and nextPageUri, suppressions in mixed formats, webhook
// registration (409 on a taken name), scripted faults answered exactly N times, a held page.
import { describe, expect, it, vi } from 'vitest';
import { defaultPreviewConfig } from '../../src/domain/preview/payload.ts';
import { simToken, useSimulator } from '../helpers/simulator.ts';
import { LIST } from '../fixtures/preview/harness.ts';

const start = useSimulator();

async function api(url: string, token: string, method: string, path: string, opts: { body?: unknown; headers?: Record<string, string> } = {}) {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...opts.headers },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json().catch(() => undefined)) as Record<string, unknown> };
}

const body = defaultPreviewConfig(LIST, 'q-outbound');

describe('simulator outbound (preview) module', () => {
  it('serves versions and ETags: 428 without If-Match, 412 on a stale one, forced conflicts, lenient forms, ETags off', async () => {
    const sim = await start();
    sim.preview.configure({ campaigns: [{ id: 'c1' }], contactLists: { [LIST]: { count: 10 } } });
    const t = await simToken(sim);
    const got = await api(sim.url, t, 'GET', '/api/v2/outbound/campaigns/c1');
    expect(got.headers.get('etag')).toBe('"version:1"');
    expect((await api(sim.url, t, 'PUT', '/api/v2/outbound/campaigns/c1', { body })).status).toBe(428);
    const stale = await api(sim.url, t, 'PUT', '/api/v2/outbound/campaigns/c1', { body, headers: { 'if-match': '"version:0"' } });
    expect(stale).toMatchObject({ status: 412, body: { error: 'precondition_failed', currentVersion: 1 } });
    sim.preview.configure({ conflictOnNextPut: 1 });
    expect((await api(sim.url, t, 'PUT', '/api/v2/outbound/campaigns/c1', { body, headers: { 'if-match': 'version:1' } })).status).toBe(412);
    const ok = await api(sim.url, t, 'PUT', '/api/v2/outbound/campaigns/c1', { body, headers: { 'if-match': 'W/"version:2"', 'idempotency-key': 'k1' } });
    expect(ok).toMatchObject({ status: 200, body: { version: 3, status: 'active' } });
    expect(ok.headers.get('etag')).toBe('"version:3"');
    // The same idempotency key replays the answer: no second version.
    expect((await api(sim.url, t, 'PUT', '/api/v2/outbound/campaigns/c1', { body, headers: { 'if-match': '2', 'idempotency-key': 'k1' } })).body).toEqual({ version: 3, status: 'active' });
    sim.preview.configure({ etags: false });
    const off = await api(sim.url, t, 'PUT', '/api/v2/outbound/campaigns/c1', { body });
    expect(off.status).toBe(200);
    expect(off.headers.get('etag')).toBeNull();
    expect(sim.stats().preview).toMatchObject({ status428: 1, status412: 2, puts: 2, activePreviews: 1, maxActivePreviews: 1, idempotentReplays: 1 });
  });

  it('checks the PreviewConfig itself and names each field', async () => {
    const sim = await start();
    sim.preview.configure({ campaigns: [{ id: 'c1' }], contactLists: { [LIST]: { count: 1 } } });
    const t = await simToken(sim);
    const bad = { ...body, type: 'progressive', contactLists: [{ id: 'nope', type: 'contactlist' }], agentDirectives: [{ queueId: 'q-x', skillRequirement: 's', agentCount: 0 }] };
    const r = await api(sim.url, t, 'PUT', '/api/v2/outbound/campaigns/c1', { body: bad, headers: { 'if-match': '1' } });
    expect(r.status).toBe(400);
    expect((r.body.details as { field: string }[]).map((d) => d.field)).toEqual(['type', 'contactLists.0.id', 'agentDirectives.0.queueId', 'agentDirectives.0.agentCount']);
  });

  it('pages contacts (cap, nextPageUri, limit range) and suppressions in mixed formats; lists campaigns by type and status', async () => {
    const sim = await start();
    sim.preview.configure({
      campaigns: [{ id: 'a', status: 'active' }, { id: 'b', status: 'active' }, { id: 'c' }],
      contactLists: { [LIST]: { count: 250, phoneFormats: ['e164', 'national'] } },
      suppressions: { fromList: { listId: LIST, every: 50 } },
      pageSizeCap: 100,
    });
    const t = await simToken(sim);
    const seen: string[] = [];
    let path: string | undefined = `/api/v2/outbound/contactlists/${LIST}/contacts?limit=250&page=1`;
    while (path) {
      const p = await api(sim.url, t, 'GET', path);
      seen.push(...(p.body.entity as { id: string }[]).map((c) => c.id));
      path = p.body.nextPageUri as string | undefined;
    }
    expect(seen).toHaveLength(250);
    expect(new Set(seen).size).toBe(250);
    expect((await api(sim.url, t, 'GET', `/api/v2/outbound/contactlists/${LIST}/contacts?limit=1001`)).status).toBe(400);
    const sup = await api(sim.url, t, 'GET', '/api/v2/outbound/suppressions?limit=1000&page=1');
    // Every 50th contact, alternately E.164 and national format.
    expect((sup.body.entity as { phoneNumber: string }[]).map((x) => x.phoneNumber)).toEqual(['+12122000000', '(312) 200-0050', '+14152000100', '(212) 200-0150', '+13122000200']);
    const active = await api(sim.url, t, 'GET', '/api/v2/outbound/campaigns?limit=1000&type=preview&status=active');
    expect((active.body.entity as { id: string }[]).map((c) => c.id)).toEqual(['a', 'b']);
    expect(sim.stats().preview).toMatchObject({ contactPages: 3, suppressionPages: 1 });
  });

  it('registers webhooks once per name and answers scripted faults exactly N times', async () => {
    const sim = await start();
    sim.preview.configure({ scripted: [{ route: 'webhookCreate', status: 503, times: 2 }] });
    const t = await simToken(sim);
    const hook = { name: 'Preview QA Sync', enabled: true, eventFilter: 'campaign.preview.activated', uri: 'http://127.0.0.1:9/x', method: 'POST' };
    expect((await api(sim.url, t, 'POST', '/api/v2/webhooks', { body: hook })).status).toBe(503);
    expect((await api(sim.url, t, 'POST', '/api/v2/webhooks', { body: hook })).status).toBe(503);
    const created = await api(sim.url, t, 'POST', '/api/v2/webhooks', { body: hook });
    expect(created.status).toBe(201);
    const again = await api(sim.url, t, 'POST', '/api/v2/webhooks', { body: hook });
    expect(again).toMatchObject({ status: 409, body: { id: created.body.id } });
    expect(sim.stats().preview).toMatchObject({ webhooksRegistered: 1, webhookConflicts: 1, scriptedServed: 2 });
    const cfg = await fetch(`${sim.url}/_sim/preview/config`, { method: 'POST', body: JSON.stringify({ pageSizeCap: 0 }) });
    expect(cfg.status).toBe(400);
  });

  it('holds the next request for one contact page until released (over HTTP), then answers as usual', async () => {
    const sim = await start();
    const cfg = await fetch(`${sim.url}/_sim/preview/config`, { method: 'POST', body: JSON.stringify({ contactLists: { [LIST]: { count: 30 } }, holdContactPage: 2 }) });
    expect(cfg.status).toBe(200);
    const t = await simToken(sim);
    const path = `/api/v2/outbound/contactlists/${LIST}/contacts?limit=10&page=`;
    expect((await api(sim.url, t, 'GET', `${path}1`)).status).toBe(200);
    let answered = false;
    const held = api(sim.url, t, 'GET', `${path}2`).then((r) => ((answered = true), r));
    await vi.waitFor(() => expect(sim.stats().preview.held).toBe(1), { timeout: 5_000, interval: 10 });
    // Page 3 is not held, and answering it does not release page 2.
    expect((await api(sim.url, t, 'GET', `${path}3`)).status).toBe(200);
    expect(answered).toBe(false);
    const release = await fetch(`${sim.url}/_sim/preview/release`, { method: 'POST' });
    expect(await release.json()).toEqual({ released: 1 });
    expect((await held).body.entity).toHaveLength(10);
    // One-shot: page 2 again is answered at once.
    expect((await api(sim.url, t, 'GET', `${path}2`)).status).toBe(200);
    expect(sim.stats().preview).toMatchObject({ held: 0, contactPagesByNumber: { 1: 1, 2: 2, 3: 1 } });
  });
});
