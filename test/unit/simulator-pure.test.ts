import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Logger } from '../../src/logger.ts';
import { DEFAULT_CLIENT, SimulatorConfigError, parseConfigPatch } from '../../src/simulator/config.ts';
import type { SimLogger } from '../../src/simulator/config.ts';
import { FaultKind, pickFault, serverErrorResponse } from '../../src/simulator/faults.ts';
import { HttpProblem, parseJsonBody } from '../../src/simulator/http-io.ts';
import { authenticate, createTokenStore, handleTokenRequest, requireScope } from '../../src/simulator/oauth.ts';
import { createRouter } from '../../src/simulator/router.ts';
import { ALL_SCOPES, SCOPES } from '../../src/simulator/scopes.ts';
import { acceptedRatePerS, pickStatus } from '../../src/simulator/sms.ts';

// Compile-time check: a pino logger can be handed to the simulator as is.
export const asSimLogger = (l: Logger): SimLogger => l;

const form = (s: string) => ({ authorization: undefined, contentType: 'application/x-www-form-urlencoded', body: Buffer.from(s) });
const creds = 'grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret';

describe('handleTokenRequest', () => {
  const clients = [DEFAULT_CLIENT];

  it('issues a bearer token for form credentials with every client scope', () => {
    const store = createTokenStore(() => 0);
    const r = handleTokenRequest(form(creds), clients, store, 600);
    expect(r.status).toBe(200);
    const body = r.body as { access_token: string; token_type: string; expires_in: number; scope: string };
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 600 });
    expect(body.scope.split(' ').sort()).toEqual([...ALL_SCOPES].sort());
    expect(store.lookup(body.access_token)?.accountId).toBe('default');
  });

  it('accepts form-encoded HTTP Basic credentials', () => {
    const store = createTokenStore(() => 0);
    const basic = Buffer.from('demo-client:demo-secret').toString('base64');
    const r = handleTokenRequest(
      { authorization: `Basic ${basic}`, contentType: 'application/x-www-form-urlencoded', body: Buffer.from('grant_type=client_credentials') },
      clients,
      store,
      60,
    );
    expect(r.status).toBe(200);
  });

  it.each([
    ['grant_type=client_credentials&client_id=demo-client&client_secret=nope', 401, 'invalid_client'],
    ['grant_type=client_credentials', 401, 'invalid_client'],
    ['client_id=demo-client&client_secret=demo-secret', 400, 'invalid_request'],
    ['grant_type=password&client_id=demo-client&client_secret=demo-secret', 400, 'unsupported_grant_type'],
    [`${creds}&scope=message:sms:send%20admin:everything`, 400, 'invalid_scope'],
  ])('%s -> %i %s', (body, status, error) => {
    const r = handleTokenRequest(form(body), clients, createTokenStore(() => 0), 60);
    expect(r.status).toBe(status);
    expect(r.body).toMatchObject({ error });
  });

  it('rejects a JSON body: the token endpoint speaks form encoding only', () => {
    const r = handleTokenRequest(
      { authorization: undefined, contentType: 'application/json', body: Buffer.from('{"grant_type":"client_credentials"}') },
      clients,
      createTokenStore(() => 0),
      60,
    );
    expect(r.status).toBe(400);
  });

  it('grants only the requested subset of scopes', () => {
    const store = createTokenStore(() => 0);
    const r = handleTokenRequest(form(`${creds}&scope=email:channels:read`), clients, store, 60);
    const token = (r.body as { access_token: string }).access_token;
    const rec = authenticate(`Bearer ${token}`, store);
    expect(() => requireScope(rec, SCOPES.emailChannelsRead)).not.toThrow();
    expect(() => requireScope(rec, SCOPES.smsSend)).toThrow(HttpProblem);
  });
});

describe('token store and authenticate', () => {
  it('expires tokens by the injected clock and forgets all on revoke', () => {
    let clock = 1_000_000;
    const store = createTokenStore(() => clock);
    const a = store.issue(DEFAULT_CLIENT, ['x'], 10);
    const b = store.issue(DEFAULT_CLIENT, ['x'], 100);
    clock += 10_000;
    expect(store.lookup(a)).toBeUndefined();
    expect(store.lookup(b)).toBeDefined();
    store.revokeAll();
    expect(store.lookup(b)).toBeUndefined();
  });

  it('raises 401 for missing, malformed and unknown bearer tokens', () => {
    const store = createTokenStore(() => 0);
    for (const header of [undefined, 'Basic abc', 'Bearer', 'Bearer unknown']) {
      try {
        authenticate(header, store);
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(HttpProblem);
        expect((err as HttpProblem).status).toBe(401);
      }
    }
  });

  it('names the missing scope in the 403', () => {
    const rec = { clientId: 'c', accountId: 'a', scopes: new Set<string>(), expiresAt: Infinity };
    try {
      requireScope(rec, SCOPES.smsSend);
      expect.unreachable();
    } catch (err) {
      expect((err as HttpProblem).status).toBe(403);
      expect((err as HttpProblem).body).toMatchObject({ error: 'insufficient_scope', scope: 'message:sms:send' });
    }
  });
});

describe('faults', () => {
  const f = { dropRate: 0.1, timeoutRate: 0.2, errorRate: 0.3 };
  it('splits one draw into exclusive shares', () => {
    expect(pickFault(f, 0.05)).toBe(FaultKind.Drop);
    expect(pickFault(f, 0.15)).toBe(FaultKind.Timeout);
    expect(pickFault(f, 0.5)).toBe(FaultKind.Error);
    expect(pickFault(f, 0.7)).toBe(FaultKind.None);
    expect(pickFault(null, 0)).toBe(FaultKind.None);
  });
  it('answers 503 or 502', () => {
    expect(serverErrorResponse(0.1).status).toBe(503);
    expect(serverErrorResponse(0.9).status).toBe(502);
  });
});

describe('pickStatus', () => {
  it('defaults to 90% delivered / 10% undelivered', () => {
    expect(pickStatus(undefined, 0.5)).toBe('delivered');
    expect(pickStatus(undefined, 0.95)).toBe('undelivered');
  });
  it('follows custom weights and ignores zero ones', () => {
    expect(pickStatus({ failed: 1 }, 0.99)).toBe('failed');
    expect(pickStatus({ sent: 0, delivered: 1, failed: 1 }, 0.25)).toBe('delivered');
    expect(pickStatus({ sent: 0, delivered: 1, failed: 1 }, 0.75)).toBe('failed');
  });
});

describe('acceptedRatePerS', () => {
  it('counts the intervals between the first and the last acceptance', () => {
    // 501 sends from t to t + 1 s: 500 intervals in one second.
    expect(acceptedRatePerS({ accepted: 501, firstAcceptedAt: 10_000, lastAcceptedAt: 11_000 })).toBe(500);
    expect(acceptedRatePerS({ accepted: 3, firstAcceptedAt: 0, lastAcceptedAt: 4_000 })).toBe(0.5);
  });

  it('is 0 until there is a span to measure', () => {
    expect(acceptedRatePerS({ accepted: 0, firstAcceptedAt: null, lastAcceptedAt: null })).toBe(0);
    expect(acceptedRatePerS({ accepted: 1, firstAcceptedAt: 5, lastAcceptedAt: 5 })).toBe(0);
  });
});

describe('router', () => {
  const route = (method: 'GET' | 'POST', path: string) => ({ endpoint: { method, path }, name: `${method} ${path}` });
  const router = createRouter([
    route('GET', '/api/campaigns/{id}'),
    route('POST', '/api/campaigns/{id}/start'),
    route('POST', '/api/campaigns'),
  ]);

  it('matches static and templated paths and decodes parameters', () => {
    expect(router.match('POST', '/api/campaigns')).toMatchObject({ kind: 'found', key: 'POST /api/campaigns' });
    expect(router.match('POST', '/api/campaigns/a%20b/start')).toMatchObject({
      kind: 'found',
      key: 'POST /api/campaigns/{id}/start',
      params: { id: 'a b' },
    });
  });

  it('tells a wrong method from an unknown path', () => {
    expect(router.match('DELETE', '/api/campaigns/1')).toEqual({ kind: 'method-not-allowed', allow: ['GET'] });
    expect(router.match('GET', '/api/nothing')).toBeNull();
  });

  it('refuses the same endpoint twice', () => {
    expect(() => createRouter([route('GET', '/x'), route('GET', '/x')])).toThrow(/twice/);
  });
});

describe('config and body parsing', () => {
  it('rejects fault rates that add up to more than 1 and unknown keys', () => {
    expect(() => parseConfigPatch({ faults: { errorRate: 0.6, dropRate: 0.6 } })).toThrow(SimulatorConfigError);
    expect(() => parseConfigPatch({ rateLimit: { rps: 0 } })).toThrow(SimulatorConfigError);
    expect(() => parseConfigPatch({ bogus: 1 })).toThrow(SimulatorConfigError);
    expect(parseConfigPatch({ rateLimit: null, faults: { latencyMs: 5 } })).toEqual({ rateLimit: null, faults: { latencyMs: 5 } });
  });

  it('reports field paths for schema failures and 400 for malformed JSON', () => {
    const schema = z.object({ to: z.array(z.string().min(2)) });
    try {
      parseJsonBody(Buffer.from('{"to":["x"]}'), schema);
      expect.unreachable();
    } catch (err) {
      expect((err as HttpProblem).body).toMatchObject({ error: 'validation', details: [{ field: 'to.0' }] });
    }
    expect(() => parseJsonBody(Buffer.from('{"to":'), schema)).toThrow(/400/);
  });
});
