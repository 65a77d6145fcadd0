// The simulator's accounts over HTTP: client credentials decide the account, each account
// may have a limit of its own (set at start or by POST /_sim/config), and /_sim/stats
// counts tokens, requests and 429s per account.
import { describe, expect, it } from 'vitest';
import { DEFAULT_ENDPOINTS } from '../../src/cxone/endpoints.ts';
import { parseSimAccount } from '../../src/simulator/config.ts';
import { ALL_SCOPES } from '../../src/simulator/scopes.ts';
import type { RunningSimulator } from '../../src/simulator/server.ts';
import { simToken, useSimulator } from '../helpers/simulator.ts';

const start = useSimulator();
const clients = ['acme', 'globex'].map((a) => ({ clientId: `${a}-client`, clientSecret: `${a}-secret`, accountId: a, scopes: [...ALL_SCOPES] }));

async function sends(s: RunningSimulator, bearer: string, n: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) {
    const res = await fetch(s.url + DEFAULT_ENDPOINTS.smsSend.path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ to: [`+1555123${String(i).padStart(4, '0')}`], from: '+15550000000', text: 'hi', campaignId: 'c' }),
    });
    await res.arrayBuffer();
    statuses.push(res.status);
  }
  return statuses;
}

async function post(s: RunningSimulator, path: string, body: unknown) {
  const res = await fetch(s.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('simulator accounts', () => {
  it("limits each account by its own limit and counts each account's traffic", async () => {
    // A frozen clock: every call falls in the same second.
    const s = await start({ clients, now: () => 1_000_000, rateLimit: { rps: 5 } });
    expect((await post(s, '/_sim/config', { accountRateLimits: { acme: { rps: 2 } } })).status).toBe(200);
    const acme = await simToken(s, { clientId: 'acme-client', secret: 'acme-secret' });
    const globex = await simToken(s, { clientId: 'globex-client', secret: 'globex-secret' });
    expect(await sends(s, acme, 4)).toEqual([202, 202, 429, 429]);
    // globex has no limit of its own: the one every account gets (5 a second).
    expect(await sends(s, globex, 6)).toEqual([202, 202, 202, 202, 202, 429]);
    const stats = (await (await fetch(`${s.url}/_sim/stats`)).json()) as { accounts: unknown; rateLimited: number };
    expect(stats.rateLimited).toBe(3);
    expect(stats.accounts).toEqual({
      acme: { tokensIssued: 1, requests: 4, rateLimited: 2, peak1s: 4, peak100ms: 4 },
      globex: { tokensIssued: 1, requests: 6, rateLimited: 1, peak1s: 6, peak100ms: 6 },
    });
    expect((await post(s, '/_sim/reset', {})).status).toBe(200);
    expect(s.stats().accounts).toEqual({});
  });

  it('names a bad per-account limit', async () => {
    const s = await start({ clients });
    const r = await post(s, '/_sim/config', { accountRateLimits: { acme: { rps: 0 } } });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toContain('accountRateLimits.acme.rps');
  });

  it('reads an account given on the command line, and names a malformed one', () => {
    expect(parseSimAccount('acme=acme-client:s3cret:50')).toEqual({ client: { clientId: 'acme-client', clientSecret: 's3cret', accountId: 'acme', scopes: [...ALL_SCOPES] }, rps: 50 });
    expect(parseSimAccount('globex=g:s').rps).toBeUndefined();
    expect(() => parseSimAccount('acme:acme-client')).toThrow(/--sim-account: "acme:acme-client" is not <account>=<clientId>:<clientSecret>\[:<rps>\]/);
    expect(() => parseSimAccount('acme=a:s:0')).toThrow(/acme: rps must be at least 1/);
  });
});
