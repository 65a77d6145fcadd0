// Clean-up on a cluster: keys under one prefix that is not hash-tagged land on several
// masters, and deleteKeysWithPrefix (tests, benches, the demo) must find them on every one.
// Runs only on a cluster: WITH_CLUSTER=1 node scripts/with-redis.mjs npx vitest run <this file>.
import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestRedis, deleteKeysWithPrefix, keysMatching, REDIS_CLUSTER_NODES } from '../helpers/redis.ts';

describe.skipIf(!REDIS_CLUSTER_NODES)('deleting a prefix on a cluster', () => {
  const redis = createTestRedis();
  afterAll(() => redis.quit());

  it('deletes the keys on every master, not only on the node a SCAN happens to reach', async () => {
    const prefix = `cxft-spread-${randomBytes(4).toString('hex')}:`; // no hash tag: spread over slots
    const keys = Array.from({ length: 60 }, (_, i) => `${prefix}${i}`);
    for (const k of keys) await redis.set(k, '1');
    if (!(redis instanceof Cluster)) throw new Error('REDIS_CLUSTER_NODES is set: the test connection must be a Cluster');
    const holders = await Promise.all(redis.nodes('master').map(async (m) => (await keysMatching(m, `${prefix}*`)).length));
    expect(holders.filter((n) => n > 0).length).toBeGreaterThan(1);
    expect(holders.reduce((a, n) => a + n, 0)).toBe(keys.length);

    expect(await deleteKeysWithPrefix(redis, prefix)).toBe(keys.length);
    expect(await keysMatching(redis, `${prefix}*`)).toEqual([]);
  });
});
