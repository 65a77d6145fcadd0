// Whether a failed CXone call may have reached CXone: it decides between `unknown`
// (reconcile, replay with the same key) and `failed` (CXone refused it, nothing was sent).
import { afterEach, describe, expect, it } from 'vitest';
import { isOutcomeUnknown, sendSms } from '../../src/cxone/sms.ts';
import { freePort } from '../helpers/ephemeral-redis.ts';
import { startTestFleet, type TestFleet } from '../helpers/fleet.ts';

let fleet: TestFleet | undefined;
afterEach(async () => {
  await fleet?.cleanup();
  fleet = undefined;
});

const SEND = { to: ['+14155550100'], from: 'ACME', text: 'hi', campaignId: 'c', idempotencyKey: 'k-1' };

async function failure(env: Record<string, string>, faults: NonNullable<Parameters<TestFleet['sim']['configure']>[0]['faults']>): Promise<unknown> {
  fleet = await startTestFleet({ label: 'outcome', env: { CXONE_HEADERS_TIMEOUT_MS: '200', CXONE_BODY_TIMEOUT_MS: '200', ...env }, sim: { faults } });
  return sendSms(fleet.runtime().cxone.client, SEND).then(
    () => expect.unreachable('the call should fail'),
    (err: unknown) => err,
  );
}

describe('a failed send call', () => {
  it('is outcome-unknown when CXone took it but the answer came too late', async () => {
    const err = await failure({}, { lateResponseRate: 1 });
    expect(err).toMatchObject({ code: 'CXONE_TIMEOUT', details: { outcomeUnknown: true } });
    expect(isOutcomeUnknown(err)).toBe(true);
    expect(fleet!.sim.stats().sms.accepted).toBe(1);
  });

  it('is outcome-unknown when the connection is reset after the request was written', async () => {
    const err = await failure({}, { dropRate: 1 });
    expect(isOutcomeUnknown(err)).toBe(true);
  });

  it('is not when CXone answered with an error', async () => {
    const err = await failure({}, { errorRate: 1 });
    expect(err).toMatchObject({ code: 'CXONE_SERVER_ERROR' });
    expect(isOutcomeUnknown(err)).toBe(false);
  });

  it('is not when the connection was refused (nothing was sent)', async () => {
    // Tokens from a running simulator; the API at a port nobody listens on.
    const tokens = await startTestFleet({ label: 'outcome-token' });
    try {
      const port = await freePort();
      fleet = await startTestFleet({
        label: 'outcome',
        env: { CXONE_BASE_URL: `http://127.0.0.1:${port}`, CXONE_TOKEN_URL: `${tokens.sim.url}/oauth/token` },
      });
      const err = await sendSms(fleet.runtime().cxone.client, SEND).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'CXONE_NETWORK' });
      expect(isOutcomeUnknown(err)).toBe(false);
    } finally {
      await tokens.cleanup();
    }
  });
});
