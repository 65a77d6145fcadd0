// /_sim/campaigns/*: the HTTP twins of sim.campaigns that out-of-process drivers (the
// launch-polls benchmark) use, on a real simulator over HTTP.
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';

let sim: RunningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const post = (path: string, body: string) => fetch(`${sim!.url}/_sim/campaigns/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('/_sim/campaigns admin', () => {
  it('config: validates naming the field, merges, and shows the knobs', async () => {
    sim = await startSimulator();
    const bad = await post('config', JSON.stringify({ advanceBy: 'sometimes', queuedMs: -1 }));
    expect(bad.status).toBe(400);
    const fields = ((await bad.json()) as { details: { field: string }[] }).details.map((d) => d.field).sort();
    expect(fields).toEqual(['campaigns.advanceBy', 'campaigns.queuedMs']);
    expect((await post('config', '{not json')).status).toBe(400);
    expect((await post('config', JSON.stringify({ advanceBy: 'time', queuedMs: 20_000 }))).status).toBe(200);
    expect(await (await fetch(`${sim.url}/_sim/campaigns/config`)).json()).toMatchObject({ advanceBy: 'time', queuedMs: 20_000 });
    expect(sim.campaigns.config()).toMatchObject({ advanceBy: 'time', queuedMs: 20_000 });
  });

  it('status: 404 for an unknown campaign, 400 naming a bad status; a wrong method is 405 with Allow', async () => {
    sim = await startSimulator();
    const missing = await post('status', JSON.stringify({ id: 'nope', status: 'RUNNING' }));
    expect(missing.status).toBe(404);
    const bad = await post('status', JSON.stringify({ id: 'x', status: 'DANCING' }));
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('status');
    const wrong = await fetch(`${sim.url}/_sim/campaigns/campaigns`, { method: 'POST' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
    expect(await (await fetch(`${sim.url}/_sim/campaigns/campaigns`)).json()).toEqual({ data: [] });
    expect((await fetch(`${sim.url}/_sim/campaigns/unknown`)).status).toBe(404);
  });
});
