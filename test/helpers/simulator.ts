// The simulator for a test file: started per test, closed after each one.
import { afterEach, expect } from 'vitest';
import { DEFAULT_ENDPOINTS } from '../../src/cxone/endpoints.ts';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../src/simulator/server.ts';

/** Call at the top of a test file; the returned function starts a simulator for one test. */
export function useSimulator(): (opts?: SimulatorOptions) => Promise<RunningSimulator> {
  let sim: RunningSimulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });
  return async (opts = {}) => (sim = await startSimulator(opts));
}

/** A bearer token by client credentials in form fields (the demo client by default). */
export async function simToken(s: Pick<RunningSimulator, 'url'>, o: { clientId?: string; secret?: string; extra?: string } = {}): Promise<string> {
  const res = await fetch(s.url + DEFAULT_ENDPOINTS.token.path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `grant_type=client_credentials&client_id=${o.clientId ?? 'demo-client'}&client_secret=${o.secret ?? 'demo-secret'}${o.extra ?? ''}`,
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}
