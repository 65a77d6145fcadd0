// The simulator's flows module over sockets: schema 422, jobs pending -> running ->
// completed | failed | never (by polls and by the simulator clock), idempotent creation,
// versions by name, subscriptions (409 on a twin) and flow.* events signed with each
// subscription's own secret, fault knobs and stats.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_ENDPOINTS, buildPath } from '../../src/cxone/endpoints.ts';
import type { SimulatorOptions } from '../../src/simulator/server.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from '../../src/webhook-signature.ts';
import { validateFlow } from '../../src/domain/flows/check-flow.ts';
import { loadFlowFile } from '../../src/domain/flows/load-flow.ts';
import { fixture } from '../fixtures/flows/build.ts';
import { simToken, useSimulator } from '../helpers/simulator.ts';

const E = DEFAULT_ENDPOINTS;
const T0 = Date.UTC(2026, 0, 5, 9);
const startSim = useSimulator();
const FLOW = JSON.parse(readFileSync(fixture('seed-example.json'), 'utf8')) as Record<string, unknown>;

type Obj = Record<string, unknown>;
interface Res {
  status: number;
  body: Obj;
}

async function client(opts: SimulatorOptions = {}) {
  const sim = await startSim(opts);
  const bearer = await simToken(sim);
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res> => {
    const res = await fetch(sim.url + path, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}`, ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Obj };
  };
  const create = (body: unknown = FLOW, headers: Record<string, string> = {}) => call('POST', E.flowCreate.path, body, headers);
  const job = (id: string) => call('GET', buildPath(E.jobGet.path, { id }));
  const subscribe = (body: unknown) => call('POST', E.eventSubscriptionCreate.path, body);
  return { sim, call, create, job, subscribe };
}

async function statuses(job: (id: string) => Promise<Res>, id: string, polls: number): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let i = 0; i < polls; i++) out.push((await job(id)).body.status);
  return out;
}

interface Received {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  body: Obj;
}

const receivers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of receivers.splice(0)) await close();
});

/** An event receiver; `next(n)` resolves once n events have arrived in total. */
async function receiver() {
  const got: Received[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      got.push({ headers: req.headers, raw, body: JSON.parse(raw.toString('utf8')) as Obj });
      res.end('ok');
      for (const w of waiters.filter((x) => got.length >= x.n)) w.resolve();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  receivers.push(() => new Promise<void>((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
  const next = (n: number) => new Promise<Received[]>((resolve) => (got.length >= n ? resolve(got) : waiters.push({ n, resolve: () => resolve(got) })));
  return { url, got, next };
}

const signedWith = (r: Received, secret: string) =>
  verifySignature({ secrets: [secret], timestampHeader: r.headers[TIMESTAMP_HEADER] as string, signatureHeader: r.headers[SIGNATURE_HEADER] as string, rawBody: r.raw, toleranceS: 300 }).ok;

describe('simulator flows: jobs', () => {
  it('pending 2 polls -> running 2 -> completed with a flow id (F-33, F-36, F-43)', async () => {
    const c = await client();
    const created = await c.create();
    expect(created).toMatchObject({ status: 201, body: { status: 'pending' } });
    const id = created.body.id as string;
    expect(await statuses(c.job, id, 5)).toEqual(['pending', 'pending', 'running', 'running', 'completed']);
    const done = await c.job(id);
    expect(done.body).toMatchObject({ id, status: 'completed', message: 'flow saved' });
    expect(done.body.flow_id).toEqual(expect.any(String));
    expect(c.sim.stats().flows).toMatchObject({ jobsCreated: 1, jobPolls: 6, jobsByStatus: { completed: 1 }, flowsByName: { 'Q3 Outbound Compliance Campaign': 1 } });
  });

  it('answers 422 with every schema problem and its path, 400 on bad JSON; nothing is created', async () => {
    const c = await client();
    const bad = await c.create({ name: 'x', nodes: [{ id: 'a' }], transitions: [{ from_node: 'a' }] });
    expect(bad.status).toBe(422);
    expect((bad.body.errors as { path: string }[]).map((e) => e.path).sort()).toEqual(['entry_node', 'nodes[0].type', 'transitions[0].condition', 'transitions[0].to_node']);
    expect((await c.create('{"name":')).status).toBe(400);
    expect(c.sim.stats().flows).toMatchObject({ jobsCreated: 0, status422: 1 });
  });

  it('fails the job with its own syntax verification errors, or with the configured ones (F-35, F-44)', async () => {
    const c = await client();
    c.sim.flows.configure({ pendingPolls: 0, runningPolls: 0 });
    const typo = structuredClone(FLOW) as { nodes: { actions: { directive: string }[] }[] };
    typo.nodes[0]!.actions[0]!.directive = 'plya';
    const failed = await c.job((await c.create(typo)).body.id as string);
    expect(failed.body).toMatchObject({ status: 'failed', errors: ["unknown directive 'plya' at nodes[0].actions[0]"] });

    c.sim.flows.configure({ outcome: 'failed', jobErrors: ['a', 'b'] });
    expect((await c.job((await c.create()).body.id as string)).body).toMatchObject({ status: 'failed', errors: ['a', 'b'] });
  });

  it('never completes with outcome never; outcomeByName picks per flow', async () => {
    const c = await client();
    c.sim.flows.configure({ outcome: 'never', pendingPolls: 1, runningPolls: 1, outcomeByName: { special: 'completed' } });
    const id = (await c.create()).body.id as string;
    expect(await statuses(c.job, id, 12)).toEqual(['pending', ...Array<string>(11).fill('running')]);
    const special = (await c.create({ ...FLOW, name: 'special' })).body.id as string;
    expect(await statuses(c.job, special, 3)).toEqual(['pending', 'running', 'completed']);
  });

  it('advances by time on the simulator clock when advanceBy is time', async () => {
    let now = T0;
    const c = await client({ now: () => now });
    c.sim.flows.configure({ advanceBy: 'time', pendingMs: 1000, runningMs: 2000 });
    const id = (await c.create()).body.id as string;
    expect((await c.job(id)).body.status).toBe('pending');
    now += 1500;
    expect((await c.job(id)).body.status).toBe('running');
    now += 1500;
    expect((await c.job(id)).body.status).toBe('completed');
  });

  it('replays one job for one Idempotency-Key, even after a lost response (F-38)', async () => {
    const c = await client();
    c.sim.flows.configure({ dropNextCreateResponses: 1, failNextCreates: 1 });
    const key = { 'idempotency-key': 'flow.abc.1' };
    expect((await c.create(FLOW, key)).status).toBe(503);
    await expect(c.create(FLOW, key)).rejects.toThrow();
    const again = await c.create(FLOW, key);
    expect(again.status).toBe(201);
    expect(c.sim.stats().flows).toMatchObject({ jobsCreated: 1, idempotentReplays: 1, faultsInjected: 2 });
  });

  it('a re-publish of the same name is a new version; 504 over maxExecutionDepth; server-only rules 422; failed polls', async () => {
    const c = await client();
    c.sim.flows.configure({ pendingPolls: 0, runningPolls: 0 });
    await c.job((await c.create()).body.id as string);
    await c.job((await c.create()).body.id as string);
    const [flow] = c.sim.flows.flows('Q3 Outbound Compliance Campaign');
    expect(flow).toMatchObject({ version: 2, deleted: false });
    expect(flow!.versions.map((v) => v.version)).toEqual([1, 2]);

    c.sim.flows.configure({ maxExecutionDepth: 2 });
    expect(await c.create()).toMatchObject({ status: 504, body: { message: 'flow exceeds execution depth limits (2)' } });
    c.sim.flows.configure({ maxExecutionDepth: null, extraSyntaxRules: ['no-voicemail', 'description-required'] });
    const extra = await c.create({ ...FLOW, description: '' });
    expect(extra).toMatchObject({ status: 422, body: { errors: [{ path: 'description', message: 'a description is required' }] } });

    c.sim.flows.configure({ extraSyntaxRules: [], failNextPolls: 1, failStatus: 502 });
    const id = (await c.create()).body.id as string;
    expect((await c.job(id)).status).toBe(502);
    expect((await c.job(id)).body.status).toBe('completed');
    expect(() => c.sim.flows.configure({ outcome: 'maybe' })).toThrow(/flows\.outcome/);
  });
});

describe('simulator flows: client and server judge independently', () => {
  it('the platform saves a flow the fleet refuses, and refuses one the fleet passes', async () => {
    const c = await client();
    c.sim.flows.configure({ pendingPolls: 0, runningPolls: 0 });
    // A loop, a dead end and an agent before the disclosure: CXone takes it (CF 176 checks syntax only).
    const local = loadFlowFile(fixture('bad-graph.yaml'));
    expect(local.errors).toBe(5);
    const saved = await c.job((await c.create(local.flow)).body.id as string);
    expect(saved.body.status).toBe('completed');
    // A tenant rule only the server knows: the fleet passes the flow, the platform answers 422.
    c.sim.flows.configure({ extraSyntaxRules: ['ids-snake-case'] });
    const camel = structuredClone(FLOW) as { nodes: { id: string }[]; transitions: { to_node: string }[] };
    camel.nodes[5]!.id = 'HangUp';
    camel.transitions[4]!.to_node = 'HangUp';
    expect(validateFlow(camel)).toMatchObject({ valid: true, problems: [] });
    expect(await c.create(camel)).toMatchObject({ status: 422, body: { errors: [{ path: 'nodes[5].id', message: "node id 'HangUp' must be snake_case" }] } });
  });
});

describe('simulator flows: subscriptions and events', () => {
  it('registers once (409 for the same url and types), refuses unknown types and a missing secret', async () => {
    const c = await client();
    const body = { url: 'http://127.0.0.1:9/x', event_types: ['flow.updated', 'flow.created'], secret: 'qa-secret-1' };
    const first = await c.subscribe(body);
    expect(first.status).toBe(201);
    expect(await c.subscribe({ ...body, event_types: ['flow.created', 'flow.updated'] })).toMatchObject({ status: 409, body: { id: first.body.id } });
    expect((await c.subscribe({ ...body, event_types: ['flow.created'] })).status).toBe(201);
    expect((await c.subscribe({ ...body, event_types: ['flow.renamed'] })).status).toBe(400);
    expect((await c.subscribe({ url: body.url, event_types: ['flow.created'] })).status).toBe(400);
    expect(c.sim.stats().flows).toMatchObject({ subscriptions: 2, subscriptionConflicts: 1 });
    expect(JSON.stringify(c.sim.flows.subscriptions())).not.toContain('qa-secret-1');
  });

  it('signs flow.created, flow.updated and flow.deleted with each subscription its own secret (F-48..F-51)', async () => {
    const c = await client();
    c.sim.flows.configure({ pendingPolls: 0, runningPolls: 0 });
    const all = await receiver();
    const deletes = await receiver();
    await c.subscribe({ url: all.url, event_types: ['flow.created', 'flow.updated', 'flow.deleted'], secret: 'secret-all-1' });
    await c.subscribe({ url: deletes.url, event_types: ['flow.deleted'], secret: 'secret-del-2' });

    const jobId = (await c.create()).body.id as string;
    const flowId = (await c.job(jobId)).body.flow_id as string;
    const [created] = await all.next(1);
    expect(created!.body).toMatchObject({ eventType: 'flow.created', flowId, data: { name: 'Q3 Outbound Compliance Campaign', version: 1, jobId } });
    expect(signedWith(created!, 'secret-all-1')).toBe(true);
    expect(signedWith(created!, 'secret-del-2')).toBe(false);

    expect(c.sim.flows.updateFlow(flowId)).toBe(true);
    const updated = (await all.next(2))[1]!;
    expect(updated.body).toMatchObject({ eventType: 'flow.updated', data: { version: 2 } });
    expect(updated.body.data).not.toHaveProperty('jobId');

    // The HTTP twin of control.deleteFlow.
    const del = await fetch(`${c.sim.url}/_sim/flows/delete`, { method: 'POST', body: JSON.stringify({ id: flowId }) });
    expect(del.status).toBe(200);
    const [deleted] = await deletes.next(1);
    expect(deleted!.body).toMatchObject({ eventType: 'flow.deleted', flowId });
    expect(signedWith(deleted!, 'secret-del-2')).toBe(true);
    await all.next(3);
    // The sender counts a delivery when the receiver's answer is back, just after the receiver saw it.
    await vi.waitFor(() => expect(c.sim.stats().flows).toMatchObject({ eventsPending: 0 }));
    expect(c.sim.stats().flows).toMatchObject({ eventsSent: { 'flow.created': 1, 'flow.updated': 1, 'flow.deleted': 2 }, flowsByName: {} });
  });

  it('/_sim/flows/config validates and merges; /_sim/flows/flows lists versions', async () => {
    const c = await client();
    const post = (body: unknown) => fetch(`${c.sim.url}/_sim/flows/config`, { method: 'POST', body: JSON.stringify(body) });
    expect((await post({ pendingPolls: -1 })).status).toBe(400);
    expect(await (await post({ pendingPolls: 0, runningPolls: 0 })).json()).toMatchObject({ pendingPolls: 0, runningPolls: 0 });
    await c.job((await c.create()).body.id as string);
    const listed = (await (await fetch(`${c.sim.url}/_sim/flows/flows?name=Q3%20Outbound%20Compliance%20Campaign`)).json()) as { data: Obj[] };
    expect(listed.data).toMatchObject([{ name: 'Q3 Outbound Compliance Campaign', version: 1 }]);
  });
});
