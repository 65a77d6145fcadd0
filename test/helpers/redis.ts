// Integration tests share the machine's Redis: each gets its own hash-tagged prefix and
// deletes every key under it afterwards.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll } from 'vitest';
// One implementation for the fleet, benchmarks and tests.
import { deleteKeysWithPrefix } from '../../src/redis.ts';

export { deleteKeysWithPrefix };

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export function testPrefix(label = 't'): string {
  return `{cxft-${label}-${randomBytes(4).toString('hex')}}`;
}

export function createTestRedis(kind: 'worker' | 'client' = 'client'): Redis {
  return new Redis(REDIS_URL, kind === 'worker' ? { maxRetriesPerRequest: null } : { maxRetriesPerRequest: 1 });
}

/**
 * For a test file: one connection and one private prefix, with every key under it deleted
 * and the connection closed after the file's last test.
 */
export function useTestRedis(label: string): { redis: Redis; prefix: string } {
  const redis = createTestRedis();
  const prefix = testPrefix(label);
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });
  return { redis, prefix };
}
