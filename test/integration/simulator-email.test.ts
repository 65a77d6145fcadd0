// Email channels over sockets: activation state machine, conflicts, rules, analytics paging,
// audit paging (with a 429 mid-way), bounce webhooks and scopes. Time-dependent cases step
// the simulator clock instead of sleeping; webhooks resolve promises as they arrive.
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_ENDPOINTS, buildPath } from '../../src/cxone/endpoints.ts';
import { startSimulator } from '../../src/simulator/server.ts';
import type { RunningSimulator, SimulatorOptions } from '../../src/simulator/server.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from '../../src/webhook-signature.ts';
import { ed25519Key } from '../fixtures/email/keys.ts';

const E = DEFAULT_ENDPOINTS;
const T0 = Date.UTC(2025, 0, 31, 12);
const SECRET = 'whsec-email';

const BAD_PEM = '-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----';
const ALL_METRICS = ['sent', 'delivered', 'bounced', 'complaints'];

type Obj = Record<string, unknown>;
const channelBody = (over: Obj = {}, smtp: Obj = {}, key = ed25519Key().privatePem) => ({
  name: 'support',
  channelType: 'EMAIL',
  fromAddress: 'support@example.com',
  replyToAddress: 'reply@example.com',
  smtpConfig: { host: 'smtp.example.com', port: 587, username: 'relay', password: 's3cret', useTLS: true, ...smtp },
  dkimConfig: { selector: 'cx1', privateKey: key, domain: 'example.com' },
  enabled: true,
  ...over,
});

const RULE = {
  name: 'vip',
  enabled: true,
  priority: 1,
  conditions: [{ field: 'from_domain', operator: 'ends_with', value: 'vip.example.com' }],
  action: { type: 'route_to_queue', target: 'queue-vip' },
};

interface Res {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(opts: SimulatorOptions = {}): Promise<RunningSimulator> {
  const sim = await startSimulator(opts);
  cleanups.push(() => sim.close());
  return sim;
}

async function token(s: RunningSimulator, extra = '', client = 'demo-client', secret = 'demo-secret'): Promise<string> {
  const res = await fetch(s.url + E.token.path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `grant_type=client_credentials&client_id=${client}&client_secret=${secret}${extra}`,
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

function api(s: RunningSimulator, bearer: string) {
  const call = async (method: string, path: string, body?: unknown): Promise<Res> => {
    const res = await fetch(s.url + path, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  };
  return {
    create: (body: unknown = channelBody()) => call('POST', E.emailChannelCreate.path, body),
    list: (query = '') => call('GET', E.emailChannelList.path + query),
    get: (id: string) => call('GET', buildPath(E.emailChannelGet.path, { id })),
    createRule: (id: string, body: unknown = RULE) => call('POST', buildPath(E.emailRuleCreate.path, { id }), body),
    rules: (id: string) => call('GET', buildPath(E.emailRuleList.path, { id })),
    analytics: (channelId: string, body: unknown) =>
      call('POST', `${E.emailAnalytics.path}?channelId=${encodeURIComponent(channelId)}`, body),
    audit: (query: string) => call('GET', `${E.auditLogs.path}?${query}`),
  };
}

async function createId(c: ReturnType<typeof api>, body: unknown = channelBody()): Promise<string> {
  const r = await c.create(body);
  expect(r.status).toBe(201);
  return r.body.id as string;
}

async function states(c: ReturnType<typeof api>, id: string, polls: number): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let i = 0; i < polls; i++) out.push((await c.get(id)).body.state);
  return out;
}

describe('simulator email channels', () => {
  it('creates PENDING, activates after the configured polls and never echoes secrets', async () => {
    const s = await start({ email: { activation: { pendingPolls: 2 } } });
    const c = api(s, await token(s));
    const created = await c.create();
    expect(created).toMatchObject({ status: 201, body: { state: 'PENDING' } });
    const id = created.body.id as string;

    expect(await states(c, id, 4)).toEqual(['PENDING', 'PENDING', 'ACTIVE', 'ACTIVE']);
    const got = await c.get(id);
    expect(got.body).toMatchObject({ id, name: 'support', fromAddress: 'support@example.com', state: 'ACTIVE' });
    const text = JSON.stringify(got.body);
    expect(text).not.toContain('s3cret');
    expect(text).not.toContain('PRIVATE KEY');

    expect((await c.list('?name=support')).body.data).toEqual([
      { id, name: 'support', state: 'ACTIVE', fromAddress: 'support@example.com' },
    ]);
    expect((await c.list('?name=other')).body.data).toEqual([]);
    expect((await c.get('nope')).status).toBe(404);
    expect(s.stats().email).toMatchObject({ channelsCreated: 1, channelPolls: 5, channels: { ACTIVE: 1, PENDING: 0 } });
  });

  it('defaults to 3 pending polls', async () => {
    const s = await start();
    const c = api(s, await token(s));
    const id = await createId(c);
    expect(await states(c, id, 4)).toEqual(['PENDING', 'PENDING', 'PENDING', 'ACTIVE']);
  });

  it("stays PENDING forever on a 'wrong' password, an unparseable DKIM key or global 'never'", async () => {
    const s = await start({ email: { activation: { pendingPolls: 0 } } });
    const c = api(s, await token(s));
    const badSmtp = await createId(c, channelBody({ name: 'bad-smtp' }, { password: 'wrong' }));
    const badKey = await createId(c, channelBody({ name: 'bad-key' }, {}, BAD_PEM));
    const good = await createId(c, channelBody({ name: 'good' }));
    expect(await states(c, badSmtp, 10)).toEqual(Array(10).fill('PENDING'));
    expect(await states(c, badKey, 10)).toEqual(Array(10).fill('PENDING'));
    expect(await states(c, good, 1)).toEqual(['ACTIVE']);

    s.configure({ email: { activation: { mode: 'never', pendingPolls: 0 } } });
    const later = await createId(c, channelBody({ name: 'later' }));
    expect(await states(c, later, 5)).toEqual(Array(5).fill('PENDING'));
  });

  it("turns bad channels FAILED with lastError in 'fail' mode", async () => {
    const s = await start({ email: { activation: { onBadCredentials: 'fail', pendingPolls: 1 } } });
    const c = api(s, await token(s));
    const badKey = await createId(c, channelBody({ name: 'bad-key' }, {}, 'not a pem'));
    const badSmtp = await createId(c, channelBody({ name: 'bad-smtp' }, { password: 'wrong' }));
    expect(await states(c, badKey, 2)).toEqual(['PENDING', 'FAILED']);
    expect((await c.get(badKey)).body.lastError).toMatchObject({ code: 'DKIM_INVALID' });
    await states(c, badSmtp, 2);
    expect((await c.get(badSmtp)).body).toMatchObject({ state: 'FAILED', lastError: { code: 'SMTP_AUTH_FAILED' } });
    expect(s.stats().email.channels).toEqual({ PENDING: 0, ACTIVE: 0, FAILED: 2 });
  });

  it('rejects invalid bodies with field details and duplicates with 409 naming the existing id', async () => {
    const s = await start();
    const c = api(s, await token(s));
    const bad = await c.create(channelBody({ channelType: 'SMS', fromAddress: 'nope' }, { port: 0 }));
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('validation');
    const fields = (bad.body.details as Array<{ field: string }>).map((d) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['channelType', 'fromAddress', 'smtpConfig.port']));

    const id = await createId(c);
    const dup = await c.create();
    expect(dup).toMatchObject({ status: 409, body: { error: 'conflict', id } });
    expect(s.stats().email).toMatchObject({ channelsCreated: 1, rejected: 1, conflicts: 1 });
  });

  it('creates rules, answers 409 with the id for a duplicate name and 404 for an unknown channel', async () => {
    const s = await start();
    const c = api(s, await token(s));
    const a = await createId(c);
    const b = await createId(c, channelBody({ name: 'billing' }));
    const r1 = await c.createRule(a);
    expect(r1.status).toBe(201);
    const r2 = await c.createRule(a, { ...RULE, name: 'first', priority: 0 });
    expect(await c.createRule(a)).toMatchObject({ status: 409, body: { error: 'conflict', id: r1.body.id } });
    expect((await c.createRule(b)).status).toBe(201);
    expect((await c.createRule('missing')).status).toBe(404);
    expect((await c.rules('missing')).status).toBe(404);
    const listed = (await c.rules(a)).body.data as Array<{ id: string; name: string }>;
    expect(listed.map((r) => r.id)).toEqual([r2.body.id, r1.body.id]);
    expect(listed[1]).toMatchObject(RULE);
    expect(s.stats().email.rulesCreated).toBe(3);
  });
});

describe('simulator email analytics', () => {
  it('spreads configured totals exactly over the days, across pages', async () => {
    const s = await start({ now: () => T0 });
    const c = api(s, await token(s));
    const id = await createId(c);
    const support = { sent: 1000, delivered: 880, bounced: 100, complaints: 20, days: 7 };
    s.configure({ email: { metrics: { support } } });
    const rows: Array<Record<string, number | string>> = [];
    let totalPages = 1;
    for (let page = 1; page <= totalPages; page++) {
      const q = { type: 'summary', dateRange: 'last30Days', metrics: ALL_METRICS, pageSize: 3, pageNumber: page };
      const r = await c.analytics(id, q);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ pageNumber: page, pageSize: 3, totalPages: 3 });
      totalPages = r.body.totalPages as number;
      rows.push(...(r.body.data as typeof rows));
    }
    expect(rows).toHaveLength(7);
    expect(rows.at(-1)?.date).toBe('2025-01-31');
    const sum = (k: string) => rows.reduce((n, r) => n + Number(r[k]), 0);
    expect([sum('sent'), sum('delivered'), sum('bounced'), sum('complaints')]).toEqual([1000, 880, 100, 20]);
  });

  it('defaults to deterministic healthy figures and keeps only the requested metrics', async () => {
    const s = await start({ now: () => T0 });
    const c = api(s, await token(s));
    const id = await createId(c);
    const q = { type: 'summary', dateRange: 'last30Days', metrics: ['sent', 'bounced'], pageSize: 100, pageNumber: 1 };
    const first = await c.analytics(id, q);
    expect(first.body).toMatchObject({ totalPages: 1, pageNumber: 1 });
    const data = first.body.data as Array<{ sent: number; bounced: number }>;
    expect(data).toHaveLength(30);
    expect(Object.keys(data[0] ?? {}).sort()).toEqual(['bounced', 'date', 'sent']);
    const sent = data.reduce((n, r) => n + r.sent, 0);
    expect(data.reduce((n, r) => n + r.bounced, 0) / sent).toBeLessThan(0.03);
    expect((await c.analytics(id, q)).body.data).toEqual(data);
    expect((await c.analytics('missing', q)).status).toBe(404);
    expect((await c.analytics(id, { ...q, metrics: ['opens'] })).status).toBe(400);
  });
});

describe('simulator email audit logs', () => {
  it('records creates and state changes and pages synthetic volume by page and by cursor', async () => {
    let clock = T0;
    const s = await start({ now: () => clock, email: { activation: { pendingPolls: 0 }, auditRecords: 245 } });
    const c = api(s, await token(s));
    const id = await createId(c);
    const other = await createId(c, channelBody({ name: 'other' }));
    clock += 1000;
    await c.createRule(id);
    await c.get(id);

    const base = `entityId=${id}&entityType=EMAIL_CHANNEL&pageSize=100`;
    const ids: string[] = [];
    const actions: string[] = [];
    let page: number | undefined = 1;
    while (page !== undefined) {
      const r = await c.audit(`${base}&page=${page}`);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ page, pageSize: 100, totalPages: 3, totalRecords: 248 });
      for (const rec of r.body.data as Array<{ id: string; entityId: string; action: string }>) {
        expect(rec.entityId).toBe(id);
        ids.push(rec.id);
        actions.push(rec.action);
      }
      page = r.body.nextPage as number | undefined;
    }
    expect(ids).toHaveLength(248);
    expect(new Set(ids).size).toBe(248);
    expect(actions.slice(-3)).toEqual(['CHANNEL_CREATED', 'RULE_CREATED', 'STATE_CHANGED']);

    const viaCursor: string[] = [];
    let cursor: string | undefined = '';
    while (cursor !== undefined) {
      const r = await c.audit(`${base}${cursor ? `&cursor=${cursor}` : ''}`);
      viaCursor.push(...(r.body.data as Array<{ id: string }>).map((x) => x.id));
      cursor = r.body.nextCursor as string | undefined;
    }
    expect(viaCursor).toEqual(ids);

    const since = new Date(T0).toISOString();
    const recent = await c.audit(`entityType=EMAIL_CHANNEL&startDate=${since}&endDate=2025-01-31`);
    const recentIds = (recent.body.data as Array<{ entityId: string }>).map((r) => r.entityId);
    expect(recentIds.sort()).toEqual([id, id, id, other].sort());
    expect((await c.audit('pageSize=0')).status).toBe(400);
  });

  it('answers 429 mid-way through paging and lets the client resume after Retry-After', async () => {
    let clock = T0;
    const s = await start({ now: () => clock, rateLimit: { rps: 3, retryAfterS: 1 }, email: { auditRecords: 50 } });
    const c = api(s, await token(s));
    const id = await createId(c);
    const seen: string[] = [];
    const statuses: number[] = [];
    let page: number | undefined = 1;
    while (page !== undefined) {
      const r = await c.audit(`entityId=${id}&pageSize=10&page=${page}`);
      statuses.push(r.status);
      if (r.status === 429) {
        expect(r.headers.get('retry-after')).toBe('1');
        clock += 1000;
        continue;
      }
      seen.push(...(r.body.data as Array<{ id: string }>).map((x) => x.id));
      page = r.body.nextPage as number | undefined;
    }
    expect(statuses.slice(0, 3)).toEqual([200, 200, 429]);
    expect(seen).toHaveLength(51);
    expect(new Set(seen).size).toBe(51);
    expect(s.stats().rateLimited).toBeGreaterThanOrEqual(1);
  });
});

interface Received {
  headers: IncomingHttpHeaders;
  raw: Buffer;
}

async function receiver(): Promise<{ url: string; next: () => Promise<Received> }> {
  const queue: Received[] = [];
  const waiting: Array<(r: Received) => void> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (b: Buffer) => chunks.push(b));
    req.on('end', () => {
      res.writeHead(200).end();
      const r = { headers: req.headers, raw: Buffer.concat(chunks) };
      const w = waiting.shift();
      if (w) w(r);
      else queue.push(r);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/cxone/email`,
    next: () => {
      const r = queue.shift();
      return r ? Promise.resolve(r) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}

function verified(r: Received): Record<string, unknown> {
  const verdict = verifySignature({
    secrets: [SECRET],
    timestampHeader: r.headers[TIMESTAMP_HEADER] as string,
    signatureHeader: r.headers[SIGNATURE_HEADER] as string,
    rawBody: r.raw,
    toleranceS: 300,
  });
  expect(verdict).toEqual({ ok: true });
  return JSON.parse(r.raw.toString('utf8')) as Record<string, unknown>;
}

describe('simulator email bounces, scopes and reset', () => {
  it('posts signed bounce webhooks from sim.email.sendBounce and POST /_sim/email/bounce', async () => {
    const rx = await receiver();
    const s = await start({ webhooks: { url: rx.url, secret: SECRET, delayMs: 0 } });
    const sent = s.email.sendBounce({
      channelId: 'ch-1',
      messageId: 'm-1',
      recipient: 'a@example.com',
      bounceType: 'hard',
      eventId: 'ev-1',
    });
    expect(sent.scheduled).toBe(true);
    expect(verified(await rx.next())).toEqual(sent.event);
    expect(sent.event).toMatchObject({ eventId: 'ev-1', channelId: 'ch-1', messageId: 'm-1', bounceType: 'hard' });

    const body = {
      channelId: 'ch-1',
      messageId: 'm-2',
      recipient: 'b@example.com',
      bounceType: 'soft',
      timestamp: '2025-01-31T00:00:00.000Z',
    };
    const res = await fetch(`${s.url}/_sim/email/bounce`, { method: 'POST', body: JSON.stringify(body) });
    expect(res.status).toBe(202);
    const event = verified(await rx.next());
    expect(event).toMatchObject(body);
    expect(typeof event.eventId).toBe('string');
    expect((await fetch(`${s.url}/_sim/email/bounce`, { method: 'POST', body: '{}' })).status).toBe(400);
    expect(s.stats().email.bouncesScheduled).toBe(2);
  });

  it('answers 403 naming the missing scope', async () => {
    const s = await start({
      clients: [{ clientId: 'ro', clientSecret: 'ro-s', accountId: 'acct-ro', scopes: ['email:channels:read'] }],
    });
    const c = api(s, await token(s, '', 'ro', 'ro-s'));
    const denied = await c.create();
    expect(denied).toMatchObject({ status: 403, body: { error: 'insufficient_scope', scope: 'email:channels:write' } });
    expect((await c.analytics('x', { type: 'summary' })).body).toMatchObject({ scope: 'analytics:email:read' });
    expect((await c.audit('pageSize=10')).body).toMatchObject({ scope: 'auditlogs:read' });
    expect((await c.list()).status).toBe(200);
  });

  it('keeps channels per account, is configurable over HTTP and forgets everything on reset', async () => {
    const RW = ['email:channels:write', 'email:channels:read'];
    const s = await start({
      clients: [
        { clientId: 'a', clientSecret: 'sa', accountId: 'acct-a', scopes: [...RW, 'auditlogs:read'] },
        { clientId: 'b', clientSecret: 'sb', accountId: 'acct-b', scopes: RW },
      ],
    });
    const c = api(s, await token(s, '', 'a', 'sa'));
    const other = api(s, await token(s, '', 'b', 'sb'));
    const id = await createId(c);
    expect((await other.get(id)).status).toBe(404);
    expect((await other.list()).body.data).toEqual([]);
    expect((await other.create()).status).toBe(201);
    const simConfig = (patch: unknown) =>
      fetch(`${s.url}/_sim/config`, { method: 'POST', body: JSON.stringify(patch) });
    expect((await simConfig({ email: { auditRecords: 5 } })).status).toBe(200);
    expect((await simConfig({ email: { auditRecords: -1 } })).status).toBe(400);
    expect((await c.audit(`entityId=${id}`)).body.totalRecords).toBe(6);

    expect((await fetch(`${s.url}/_sim/reset`, { method: 'POST' })).status).toBe(200);
    expect((await c.get(id)).status).toBe(404);
    expect((await c.list()).body.data).toEqual([]);
    // The 404 poll above was of a channel that no longer exists, so it is not counted.
    expect(s.stats().email).toMatchObject({ channelsCreated: 0, channelPolls: 0, channels: { PENDING: 0 } });
    expect(await c.create()).toMatchObject({ status: 201 });
  });
});
