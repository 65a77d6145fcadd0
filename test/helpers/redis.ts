// Integration tests share the machine's Redis: each gets its own hash-tagged prefix and
// deletes every key under it afterwards.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll } from 'vitest';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export function testPrefix(label = 't'): string {
  return `{cxft-${label}-${randomBytes(4).toString('hex')}}`;
}

export function createTestRedis(kind: 'worker' | 'client' = 'client'): Redis {
  return new Redis(REDIS_URL, kind === 'worker' ? { maxRetriesPerRequest: null } : { maxRetriesPerRequest: 1 });
}

export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  // MATCH treats `{` literally but `[`/`?`/`*` specially; our prefixes use none of those.
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
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
