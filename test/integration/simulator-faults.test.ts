// Fault injection as a client sees it: dropped sockets, 5xx, requests never answered.
// Waits are on the simulator's own counters, never on the wall clock.
import { Agent } from 'undici';
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_ENDPOINTS } from '../../src/cxone/endpoints.ts';
import type { RunningSimulator } from '../../src/simulator/server.ts';
import { simToken, useSimulator } from '../helpers/simulator.ts';

const SMS = { to: ['+15551230001'], from: '+15550000000', text: 'hello', campaignId: 'camp-1' };

const start = useSimulator();

const token = (s: RunningSimulator) => simToken(s);

function send(s: RunningSimulator, bearer: string, init: { signal?: AbortSignal; dispatcher?: Agent } = {}) {
  return fetch(s.url + DEFAULT_ENDPOINTS.smsSend.path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify(SMS),
    ...init,
  } as RequestInit);
}

describe('simulator fault injection', () => {
  it('drops the connection without a response', async () => {
    const s = await start();
    const t = await token(s);
    s.configure({ faults: { dropRate: 1 } });
    await expect(send(s, t)).rejects.toThrow(TypeError);
    // The control API stays reachable while the API side misbehaves.
    const stats = (await (await fetch(`${s.url}/_sim/stats`)).json()) as { faults: { drops: number } };
    expect(stats.faults.drops).toBe(1);
    s.configure({ faults: null });
    expect((await send(s, t)).status).toBe(202);
    expect(s.stats().sms.accepted).toBe(1);
  });

  it('answers 503 or 502 with a JSON body and accepts nothing', async () => {
    const s = await start({ faults: { errorRate: 1, latencyMs: 1, latencyJitterMs: 2 } });
    const t = await token(s);
    for (let i = 0; i < 4; i++) {
      const res = await send(s, t);
      expect([502, 503]).toContain(res.status);
      expect(await res.json()).toHaveProperty('error');
    }
    expect(s.stats()).toMatchObject({ faults: { errors: 4 }, sms: { accepted: 0 } });
  });

  it('holds a timed-out request until the client aborts, then frees it', async () => {
    const s = await start({ faults: { timeoutRate: 1 } });
    const t = await token(s);
    const agent = new Agent();
    const abort = new AbortController();
    const pending = send(s, t, { signal: abort.signal, dispatcher: agent });
    await vi.waitFor(() => expect(s.stats().faults).toMatchObject({ timeouts: 1, held: 1 }));
    abort.abort();
    await expect(pending).rejects.toThrow(/abort/i);
    await vi.waitFor(() => expect(s.stats().faults.held).toBe(0));
    expect(s.stats().sms.accepted).toBe(0);
    await agent.close();
  });

  it('close() destroys sockets held by timeouts instead of waiting for them', async () => {
    const s = await start({ faults: { timeoutRate: 1 } });
    const t = await token(s);
    const agent = new Agent();
    const pending = send(s, t, { dispatcher: agent });
    await vi.waitFor(() => expect(s.stats().faults.held).toBe(1));
    await s.close();
    await expect(pending).rejects.toThrow(TypeError);
    await agent.close();
  });

  it('delays answers by the configured latency but still answers', async () => {
    const s = await start({ faults: { latencyMs: 5, latencyJitterMs: 5 } });
    const t = await token(s);
    const results = await Promise.all(Array.from({ length: 20 }, () => send(s, t)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(202));
    expect(s.stats()).toMatchObject({ sms: { accepted: 20 }, faults: { errors: 0, drops: 0, timeouts: 0 } });
  });

  it('mixes faults by rate and resets their counters', async () => {
    const s = await start({ faults: { dropRate: 0.2, errorRate: 0.3 } });
    const t = await token(s);
    const outcomes = await Promise.allSettled(Array.from({ length: 60 }, () => send(s, t)));
    const answered = outcomes.filter((o) => o.status === 'fulfilled').length;
    const { faults, sms } = s.stats();
    expect(faults.drops).toBe(60 - answered);
    expect(faults.errors + sms.accepted).toBe(answered);
    s.reset();
    expect(s.stats().faults).toMatchObject({ drops: 0, errors: 0, timeouts: 0 });
  });
});
