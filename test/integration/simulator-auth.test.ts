// OAuth and bearer checks over real sockets: the contract every CXone call passes first.
import { describe, expect, it } from 'vitest';
import { DEFAULT_ENDPOINTS } from '../../src/cxone/endpoints.ts';
import type { RunningSimulator } from '../../src/simulator/server.ts';
import { useSimulator } from '../helpers/simulator.ts';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const SMS = { to: ['+15551230001'], from: '+15550000000', text: 'hello', campaignId: 'camp-1' };

const start = useSimulator();

async function tokenRequest(s: RunningSimulator, body: string, headers: Record<string, string> = FORM) {
  const res = await fetch(s.url + DEFAULT_ENDPOINTS.token.path, { method: 'POST', headers, body });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

async function token(s: RunningSimulator, extra = ''): Promise<string> {
  const r = await tokenRequest(s, `grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret${extra}`);
  expect(r.status).toBe(200);
  return r.body.access_token as string;
}

async function sendSms(s: RunningSimulator, bearer: string | undefined) {
  const res = await fetch(s.url + DEFAULT_ENDPOINTS.smsSend.path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify(SMS),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

describe('simulator token endpoint', () => {
  it('issues a token for form credentials', async () => {
    const s = await start({ tokenLifetimeS: 600 });
    const r = await tokenRequest(s, 'grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret');
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.body).toMatchObject({ token_type: 'Bearer', expires_in: 600 });
    expect(typeof r.body.access_token).toBe('string');
    expect(s.stats()).toMatchObject({ tokenRequests: 1, tokensIssued: 1, apiRequests: 0 });
  });

  it('issues a token for HTTP Basic credentials', async () => {
    const s = await start();
    const basic = Buffer.from('demo-client:demo-secret').toString('base64');
    const r = await tokenRequest(s, 'grant_type=client_credentials', { ...FORM, authorization: `Basic ${basic}` });
    expect(r.status).toBe(200);
    expect((await sendSms(s, r.body.access_token as string)).status).toBe(202);
  });

  it('answers 401 invalid_client for a bad secret and counts the request', async () => {
    const s = await start();
    const r = await tokenRequest(s, 'grant_type=client_credentials&client_id=demo-client&client_secret=wrong');
    expect(r.status).toBe(401);
    expect(r.body.error).toBe('invalid_client');
    expect(s.stats()).toMatchObject({ tokenRequests: 1, tokensIssued: 0 });
  });

  it('answers 400 invalid_scope for a scope the client does not hold', async () => {
    const s = await start();
    const r = await tokenRequest(
      s,
      'grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret&scope=message:sms:send+root',
    );
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_scope');
  });

  it('is not rate limited and not faulted beyond latency', async () => {
    const s = await start({ rateLimit: { rps: 1 }, faults: { errorRate: 1 } });
    for (let i = 0; i < 3; i++) await token(s);
    expect(s.stats()).toMatchObject({ tokenRequests: 3, rateLimited: 0, faults: { errors: 0 } });
  });
});

describe('simulator bearer checks', () => {
  it('answers 401 without a token and with an unknown one', async () => {
    const s = await start();
    const missing = await sendSms(s, undefined);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await sendSms(s, 'not-a-token')).status).toBe(401);
  });

  it('answers 401 after revokeTokens() until a new token is fetched', async () => {
    const s = await start();
    const t = await token(s);
    expect((await sendSms(s, t)).status).toBe(202);
    s.revokeTokens();
    expect((await sendSms(s, t)).status).toBe(401);
    expect((await sendSms(s, await token(s))).status).toBe(202);
  });

  it('revokes over HTTP too', async () => {
    const s = await start();
    const t = await token(s);
    expect((await fetch(`${s.url}/_sim/revoke-tokens`, { method: 'POST' })).status).toBe(200);
    expect((await sendSms(s, t)).status).toBe(401);
  });

  it('answers 401 once the token has expired on the simulator clock', async () => {
    let clock = 1_700_000_000_000;
    const s = await start({ tokenLifetimeS: 600, now: () => clock });
    const t = await token(s);
    clock += 599_999;
    expect((await sendSms(s, t)).status).toBe(202);
    clock += 1;
    expect((await sendSms(s, t)).status).toBe(401);
  });

  it('answers 403 naming the scope the token lacks', async () => {
    const s = await start();
    const narrow = await token(s, '&scope=email:channels:read');
    const r = await sendSms(s, narrow);
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ error: 'insufficient_scope', scope: 'message:sms:send' });
  });

  it('answers 403 for a client that was never granted the scope', async () => {
    const s = await start({
      clients: [{ clientId: 'ro', clientSecret: 'ro-secret', accountId: 'acct-ro', scopes: ['campaign:read'] }],
    });
    const r = await tokenRequest(s, 'grant_type=client_credentials&client_id=ro&client_secret=ro-secret');
    expect(r.body.scope).toBe('campaign:read');
    const send = await sendSms(s, r.body.access_token as string);
    expect(send.status).toBe(403);
    expect(send.body.scope).toBe('message:sms:send');
  });
});
