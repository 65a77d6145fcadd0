// The shared CXone client against the simulator over HTTP and real Redis.
import { afterEach, describe, expect, it } from 'vitest';
import { sendSms } from '../../src/cxone/sms.ts';
import { CxoneHttpError, ErrorCode, RateLimitedError, TransientError } from '../../src/errors.ts';
import { startSimulator } from '../../src/simulator/server.ts';
import { startTestFleet, type TestFleet } from '../helpers/fleet.ts';

let fleet: TestFleet | undefined;
afterEach(async () => {
  await fleet?.cleanup();
  fleet = undefined;
});

const msg = (key: string) => ({ to: ['+14155550123'], from: 'ACME', text: 'hello', campaignId: 'c1', idempotencyKey: key });

describe('CXone client', () => {
  it('fetches one token and, after a 401 mid-lifetime, refreshes exactly once', async () => {
    fleet = await startTestFleet({ label: 'auth' });
    const { client } = fleet.runtime().cxone;
    await Promise.all(Array.from({ length: 50 }, (_, i) => sendSms(client, msg(`a${i}`))));
    expect(fleet.sim.stats().tokenRequests).toBe(1);
    fleet.sim.revokeTokens();
    await Promise.all(Array.from({ length: 50 }, (_, i) => sendSms(client, msg(`b${i}`))));
    expect(fleet.sim.stats().tokenRequests).toBe(2);
    expect(fleet.sim.stats().sms.accepted).toBe(100);
  });

  it('asks the token endpoint on its own host when CXONE_TOKEN_URL names another', async () => {
    const auth = await startSimulator();
    try {
      fleet = await startTestFleet({ label: 'tokhost', env: { CXONE_TOKEN_URL: `${auth.url}/oauth/token` } });
      // The API host does not know a token issued elsewhere: what matters is who was asked.
      await sendSms(fleet.runtime().cxone.client, msg('k')).catch(() => undefined);
      expect(auth.stats().tokenRequests).toBeGreaterThanOrEqual(1);
      expect(fleet.sim.stats().tokenRequests).toBe(0);
    } finally {
      await auth.close();
    }
  });

  it('works with HTTP Basic client authentication and a scope', async () => {
    fleet = await startTestFleet({ label: 'basic', env: { CXONE_AUTH_STYLE: 'basic', CXONE_SCOPE: 'message:sms:send' } });
    const res = await sendSms(fleet.runtime().cxone.client, msg('k'));
    expect(res.messageId).toBeTruthy();
  });

  it('names the missing scope on a 403 and does not retry', async () => {
    fleet = await startTestFleet({
      label: 'scope',
      sim: { clients: [{ clientId: 'demo-client', clientSecret: 'demo-secret', accountId: 'default', scopes: ['email:channels:read'] }] },
    });
    const err = await sendSms(fleet.runtime().cxone.client, msg('k')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CxoneHttpError);
    expect((err as CxoneHttpError).code).toBe(ErrorCode.CxoneForbidden);
    expect((err as CxoneHttpError).retryable).toBe(false);
    expect((err as Error).message).toContain('message:sms:send');
  });

  it('turns a 429 into a fleet-wide pause of the account for Retry-After', async () => {
    fleet = await startTestFleet({ label: '429', sim: { rateLimit: { rps: 2, retryAfterS: 3 } } });
    const a = fleet.runtime().cxone;
    const b = fleet.runtime().cxone; // another "process" of the same account
    const results = await Promise.allSettled(Array.from({ length: 4 }, (_, i) => sendSms(a.client, msg(`r${i}`))));
    const limited = results.filter((r) => r.status === 'rejected').map((r) => (r).reason as unknown);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]).toBeInstanceOf(RateLimitedError);
    expect((limited[0] as RateLimitedError).retryAfterMs).toBe(3000);
    const before = fleet.sim.stats().requests;
    // The other process is held by the shared pause: it is deferred without calling CXone.
    const err = await sendSms(b.client, msg('other')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBeGreaterThan(1000);
    expect(fleet.sim.stats().requests).toEqual(before);
  });

  it('maps 5xx and dropped connections to retryable errors', async () => {
    fleet = await startTestFleet({ label: '5xx', sim: { faults: { errorRate: 1 } } });
    const { client } = fleet.runtime().cxone;
    const e1 = await sendSms(client, msg('x')).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(CxoneHttpError);
    expect((e1 as CxoneHttpError).retryable).toBe(true);
    fleet.sim.configure({ faults: { dropRate: 1 } });
    const e2 = await sendSms(client, msg('y')).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(TransientError);
    expect((e2 as TransientError).code).toBe(ErrorCode.CxoneNetwork);
  });

  it('opens the breaker after consecutive 5xx: the next call is deferred without reaching CXone, and it closes again', async () => {
    fleet = await startTestFleet({
      label: 'breaker',
      sim: { faults: { errorRate: 1 } },
      env: { CXONE_BREAKER_FAILURES: '3', CXONE_BREAKER_OPEN_MS: '300', CXONE_BREAKER_HALF_OPEN_SUCCESSES: '1' },
    });
    const { client, breaker } = fleet.runtime().cxone;
    for (let i = 0; i < 3; i++) expect(await sendSms(client, msg(`f${i}`)).catch((e: unknown) => e)).toBeInstanceOf(CxoneHttpError);
    expect(await breaker.state()).toBe('open');
    const before = fleet.sim.stats().requests;
    const deferred = await sendSms(client, msg('held')).catch((e: unknown) => e);
    expect(deferred).toBeInstanceOf(RateLimitedError);
    expect((deferred as RateLimitedError).code).toBe(ErrorCode.CircuitOpen);
    expect((deferred as RateLimitedError).retryAfterMs).toBeGreaterThan(0);
    expect(fleet.sim.stats().requests).toEqual(before);

    // CXone recovers; once the open period is over a call goes through (half-open) and its
    // success closes the circuit. Polled, bounded: no wall-clock assertion.
    fleet.sim.configure({ faults: { errorRate: 0 } });
    let sent: unknown;
    for (let i = 0; i < 100 && !(sent && !(sent instanceof Error)); i++) {
      sent = await sendSms(client, msg('after')).catch((e: unknown) => e);
      if (sent instanceof RateLimitedError) await new Promise((r) => setTimeout(r, 20));
    }
    expect(sent).toMatchObject({ messageId: expect.any(String) });
    expect(await breaker.state()).toBe('closed');
  });
});
