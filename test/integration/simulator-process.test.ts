// The simulator as the demo and the benchmarks run it: a process of its own, started
// through the CLI, configured and read over HTTP, gone when stopped.
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_ENDPOINTS } from '../../src/cxone/endpoints.ts';
import { startSimulatorProcess, type SimulatorProcess } from '../../src/simulator/process.ts';
import { simToken } from '../helpers/simulator.ts';

const SMS = { to: ['+15551230001'], from: '+15550000000', text: 'hello', campaignId: 'camp-1' };
const started: SimulatorProcess[] = [];
afterAll(async () => {
  for (const s of started) await s.stop();
});

async function send(url: string, bearer: string): Promise<number> {
  const res = await fetch(url + DEFAULT_ENDPOINTS.smsSend.path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify(SMS),
  });
  await res.arrayBuffer();
  return res.status;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('simulator process', () => {
  it('serves on a port of its own choosing, applies its limit, resets, takes new config, and exits on stop', async () => {
    const sim = await startSimulatorProcess({ rps: 2 });
    started.push(sim);
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const token = await simToken(sim);
    // A limit of 2/s: the third call within the second is refused.
    const statuses = [await send(sim.url, token), await send(sim.url, token), await send(sim.url, token)];
    expect(statuses).toEqual([202, 202, 429]);
    expect(await sim.stats()).toMatchObject({ rateLimited: 1, tokenRequests: 1, sms: { accepted: 2 } });

    await sim.reset();
    expect(await sim.stats()).toMatchObject({ rateLimited: 0, sms: { accepted: 0 } });
    await sim.configure({ rateLimit: null });
    expect(await send(sim.url, token)).toBe(202);
    // A bad setting is refused with the field named, and the running config is unchanged.
    await expect(sim.configure({ webhooks: { url: 'ftp://example.test', secret: 's' } })).rejects.toThrow(/webhooks\.url/);

    await sim.stop();
    expect(alive(sim.pid)).toBe(false);
    await expect(fetch(sim.url)).rejects.toThrow();
  }, 30_000);

  it('serves more accounts given as --sim-account, each with its own limit and stats', async () => {
    const sim = await startSimulatorProcess({ args: ['--sim-account', 'acme=acme-client:acme-secret:1', '--sim-account', 'globex=globex-client:globex-secret'] });
    started.push(sim);
    const acme = await simToken(sim, { clientId: 'acme-client', secret: 'acme-secret' });
    const globex = await simToken(sim, { clientId: 'globex-client', secret: 'globex-secret' });
    expect([await send(sim.url, acme), await send(sim.url, acme)]).toEqual([202, 429]);
    expect([await send(sim.url, globex), await send(sim.url, globex)]).toEqual([202, 202]);
    expect((await sim.stats()).accounts).toMatchObject({ acme: { tokensIssued: 1, requests: 2, rateLimited: 1 }, globex: { tokensIssued: 1, requests: 2, rateLimited: 0 } });
  });
});
