// Integration tests share the machine's Redis, or the Redis Cluster REDIS_CLUSTER_NODES names
// (scripts/redis-cluster.mjs starts a local one): each gets its own hash-tagged prefix and
// deletes every key under it afterwards (on every master of a cluster).
import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { afterAll } from 'vitest';
// One implementation for the fleet, benchmarks and tests.
import { clusterOptionsFor, deleteKeysWithPrefix, type RedisConnection } from '../../src/redis.ts';

export { deleteKeysWithPrefix };

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** host:port list of the cluster the tests run on; undefined on a single Redis. */
export const REDIS_CLUSTER_NODES = process.env.REDIS_CLUSTER_NODES?.trim() || undefined;
/** What a test gives loadConfig or a spawned process so it reaches the same Redis (or cluster). */
export const REDIS_ENV: Record<string, string> = { REDIS_URL, ...(REDIS_CLUSTER_NODES ? { REDIS_CLUSTER_NODES } : {}) };
/** For a test on a private redis-server (outages): that server, never the shared cluster. */
export function privateRedisEnv(url: string): Record<string, string> {
  return { REDIS_URL: url, REDIS_CLUSTER_NODES: '' };
}

export function testPrefix(label = 't'): string {
  return `{cxft-${label}-${randomBytes(4).toString('hex')}}`;
}

export function clusterNodes(): { host: string; port: number }[] {
  return (REDIS_CLUSTER_NODES ?? '').split(',').map((hp) => {
    const [host, port] = hp.trim().split(':');
    return { host: host!, port: Number(port) };
  });
}

/** A single-Redis connection, or a Cluster when the tests run on one. */
export function createTestRedis(kind: 'worker' | 'client' = 'client'): RedisConnection {
  if (REDIS_CLUSTER_NODES) return new Cluster(clusterNodes(), clusterOptionsFor(kind === 'worker' ? 'worker' : 'commands'));
  return new Redis(REDIS_URL, kind === 'worker' ? { maxRetriesPerRequest: null } : { maxRetriesPerRequest: 1 });
}

/** Every key matching `pattern` (SCAN MATCH), on every master of a cluster. */
export async function keysMatching(redis: RedisConnection, pattern: string): Promise<string[]> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  const found: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
  }
  return found;
}

/**
 * For a test file: one connection and one private prefix, with every key under it deleted
 * and the connection closed after the file's last test.
 */
export function useTestRedis(label: string): { redis: RedisConnection; prefix: string } {
  const redis = createTestRedis();
  const prefix = testPrefix(label);
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });
  return { redis, prefix };
}
