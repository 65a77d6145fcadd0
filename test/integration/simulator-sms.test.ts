// SMS send, idempotency, validation, rate limit, peak1s and the control API, over sockets.
// Time-dependent cases drive the simulator clock instead of sleeping.
import { describe, expect, it } from 'vitest';
import { DEFAULT_ENDPOINTS } from '../../src/cxone/endpoints.ts';
import type { RunningSimulator } from '../../src/simulator/server.ts';
import { simToken, useSimulator } from '../helpers/simulator.ts';

const SMS = { to: ['+15551230001', '+15551230002'], from: '+15550000000', text: 'hello', campaignId: 'camp-1' };
const SEND = DEFAULT_ENDPOINTS.smsSend.path;

const start = useSimulator();

const token = (s: RunningSimulator, clientId?: string, secret?: string) => simToken(s, { clientId, secret });

async function send(s: RunningSimulator, bearer: string, body: unknown = SMS, headers: Record<string, string> = {}) {
  const res = await fetch(s.url + SEND, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

describe('simulator SMS send', () => {
  it('accepts a valid send with 202 {id} and counts it', async () => {
    let clock = 1_700_000_000_000;
    const s = await start({ now: () => clock });
    const t = await token(s);
    const first = await send(s, t);
    clock += 5;
    const second = await send(s, t, { ...SMS, to: ['+15551230001'] });
    expect(first.status).toBe(202);
    expect(typeof first.body.id).toBe('string');
    expect(second.body.id).not.toBe(first.body.id);
    expect(s.stats().sms).toMatchObject({
      accepted: 2,
      duplicates: 0,
      withoutIdempotencyKey: 2,
      firstAcceptedAt: 1_700_000_000_000,
      lastAcceptedAt: 1_700_000_000_005,
      recipientSends: 3,
      distinctRecipients: 2,
      repeatedRecipients: 1,
      maxSendsPerRecipient: 2,
      byRecipient: { '+15551230001': 2, '+15551230002': 1 },
    });
    expect(s.stats().requests).toEqual({ [`POST ${SEND}`]: 2 });
  });

  it('returns the first id for a repeated Idempotency-Key and counts a duplicate', async () => {
    const s = await start();
    const t = await token(s);
    const a = await send(s, t, SMS, { 'idempotency-key': 'batch-7:row-1' });
    const b = await send(s, t, SMS, { 'idempotency-key': 'batch-7:row-1' });
    const c = await send(s, t, SMS, { 'idempotency-key': 'batch-7:row-2' });
    expect([a.status, b.status, c.status]).toEqual([202, 202, 202]);
    expect(b.body.id).toBe(a.body.id);
    expect(c.body.id).not.toBe(a.body.id);
    expect(s.stats().sms).toMatchObject({ accepted: 2, duplicates: 1, recipientSends: 4 });
  });

  it('keeps idempotency keys apart per account', async () => {
    const s = await start({
      clients: [
        { clientId: 'a', clientSecret: 'sa', accountId: 'acct-a', scopes: ['message:sms:send'] },
        { clientId: 'b', clientSecret: 'sb', accountId: 'acct-b', scopes: ['message:sms:send'] },
      ],
    });
    const a = await send(s, await token(s, 'a', 'sa'), SMS, { 'idempotency-key': 'k' });
    const b = await send(s, await token(s, 'b', 'sb'), SMS, { 'idempotency-key': 'k' });
    expect(b.body.id).not.toBe(a.body.id);
    expect(s.stats().sms.duplicates).toBe(0);
  });

  it('rejects invalid bodies with field-level details', async () => {
    const s = await start();
    const t = await token(s);
    const r = await send(s, t, { to: ['+15551230001', '0044 20 7946'], from: '+15550000000', text: 'x' });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('validation');
    const fields = (r.body.details as Array<{ field: string }>).map((d) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['to.1', 'campaignId']));
    expect(s.stats().sms).toMatchObject({ accepted: 0, rejected: 1 });
  });

  it('answers 400 to malformed JSON, 413 to bodies over 1 MB and 404 to unknown routes', async () => {
    const s = await start();
    const t = await token(s);
    expect((await send(s, t, '{"to": [')).status).toBe(400);
    const huge = JSON.stringify({ ...SMS, text: 'x'.repeat(1024 * 1024 + 10) });
    const tooBig = await send(s, t, huge);
    expect(tooBig.status).toBe(413);
    const missing = await fetch(`${s.url}/api/v2/nothing-here`, { headers: { authorization: `Bearer ${t}` } });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'not_found' });
    const wrongMethod = await fetch(s.url + SEND, { headers: { authorization: `Bearer ${t}` } });
    expect(wrongMethod.status).toBe(405);
  });

  it('serves overridden endpoint paths', async () => {
    const s = await start({ endpoints: { smsSend: { method: 'POST', path: '/sms/v1/send' } } });
    const t = await token(s);
    const res = await fetch(`${s.url}/sms/v1/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t}` },
      body: JSON.stringify(SMS),
    });
    expect(res.status).toBe(202);
  });
});

describe('simulator rate limit and peak1s', () => {
  it('answers 429 with Retry-After beyond rps in a sliding second, per account', async () => {
    let clock = 1_700_000_000_000;
    const s = await start({
      now: () => clock,
      rateLimit: { rps: 3, retryAfterS: 2 },
      clients: [
        { clientId: 'a', clientSecret: 'sa', accountId: 'acct-a', scopes: ['message:sms:send'] },
        { clientId: 'b', clientSecret: 'sb', accountId: 'acct-b', scopes: ['message:sms:send'] },
      ],
    });
    const a = await token(s, 'a', 'sa');
    const b = await token(s, 'b', 'sb');
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await send(s, a)).status);
    const limited = await send(s, a);
    expect(statuses).toEqual([202, 202, 202]);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect((await send(s, b)).status).toBe(202);

    clock += 999;
    expect((await send(s, a)).status).toBe(429);
    clock += 1;
    expect((await send(s, a)).status).toBe(202);
    expect(s.stats()).toMatchObject({ rateLimited: 2, tokenRequests: 2, sms: { accepted: 5 } });
  });

  it('defaults Retry-After to 1 and can be reconfigured over HTTP', async () => {
    const clock = 1_700_000_000_000;
    const s = await start({ now: () => clock });
    const t = await token(s);
    const cfg = await fetch(`${s.url}/_sim/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rateLimit: { rps: 1 } }),
    });
    expect(cfg.status).toBe(200);
    expect((await send(s, t)).status).toBe(202);
    const limited = await send(s, t);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    s.configure({ rateLimit: null });
    expect((await send(s, t)).status).toBe(202);

    const bad = await fetch(`${s.url}/_sim/config`, { method: 'POST', body: JSON.stringify({ rateLimit: { rps: -1 } }) });
    expect(bad.status).toBe(400);
    expect(() => s.configure({ faults: { errorRate: 2 } })).toThrow(/errorRate/);
  });

  it('reports the most API arrivals in any sliding second', async () => {
    let clock = 1_700_000_000_000;
    const s = await start({ now: () => clock });
    const t = await token(s);
    for (let i = 0; i < 5; i++) await send(s, t);
    clock += 999;
    for (let i = 0; i < 2; i++) await send(s, t);
    clock += 1;
    await send(s, t);
    // Windows: (t0-1000, t0] = 5, (t0-1, t0+999] = 7, (t0, t0+1000] = 3.
    expect(s.stats().peak1s).toBe(7);
    clock += 5000;
    await send(s, t, { bad: true });
    expect(s.stats().peak1s).toBe(7);
    expect(s.stats().apiRequests).toBe(9);
  });
});

describe('simulator control API', () => {
  it('serves stats over HTTP and resets counters and idempotency memory', async () => {
    const s = await start({ webhooks: { url: 'http://127.0.0.1:9/unused', secret: 's3cret' } });
    const t = await token(s);
    const first = await send(s, t, SMS, { 'idempotency-key': 'k1' });
    const statsRes = await fetch(`${s.url}/_sim/stats`);
    const stats = (await statsRes.json()) as Record<string, unknown>;
    expect(stats).toMatchObject({ tokenRequests: 1, sms: { accepted: 1 } });

    const config = (await (await fetch(`${s.url}/_sim/config`)).json()) as { webhooks: { secret: string } };
    expect(config.webhooks.secret).not.toBe('s3cret');

    expect((await fetch(`${s.url}/_sim/reset`, { method: 'POST' })).status).toBe(200);
    expect(s.stats()).toMatchObject({
      tokenRequests: 0,
      apiRequests: 0,
      peak1s: 0,
      requests: {},
      sms: { accepted: 0, duplicates: 0, distinctRecipients: 0, firstAcceptedAt: null },
      webhooks: { scheduled: 0, pending: 0 },
    });
    // Tokens survive a reset; remembered keys do not.
    const again = await send(s, t, SMS, { 'idempotency-key': 'k1' });
    expect(again.status).toBe(202);
    expect(again.body.id).not.toBe(first.body.id);
    expect(s.stats().sms.duplicates).toBe(0);
  });
});
