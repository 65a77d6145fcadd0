// The library door as an application uses it: calls made right after createFleetClient(),
// before its Redis connection is up, wait for it instead of failing.
import { afterAll, describe, expect, it } from 'vitest';
import { createFleetClient } from '../../src/index.ts';
import { createTestRedis, deleteKeysWithPrefix, REDIS_ENV, testPrefix } from '../helpers/redis.ts';

const prefix = testPrefix('lib');
const env = { ...REDIS_ENV, FLEET_PREFIX: prefix, LOG_LEVEL: 'silent' };
const redis = createTestRedis();
afterAll(async () => {
  await deleteKeysWithPrefix(redis, prefix);
  await redis.quit();
});

describe('createFleetClient', () => {
  it('answers store calls made before its connection is ready', async () => {
    const fleet = createFleetClient({ env });
    try {
      // Each call is the first thing done on a fresh client.
      expect(await fleet.sms.consent.optIn(['+14153100009'])).toBe(1);
      expect(await fleet.sms.consent.verdicts(['+14153100009', '+14153100010'])).toEqual(['opted-in', 'unknown']);
      expect(await fleet.sms.getBatch('no-such-batch')).toBeUndefined();
    } finally {
      await fleet.close();
    }
    const second = createFleetClient({ env });
    try {
      const added = await second.campaigns.dnc.add([{ number: '(415) 555-0100' }], 'library test');
      expect(added).toMatchObject({ added: 1 });
      expect(await second.campaigns.dnc.has('+14155550100')).toBe(true);
    } finally {
      await second.close();
    }
  });
});
