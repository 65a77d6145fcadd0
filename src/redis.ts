// Two kinds of Redis connection, because BullMQ needs them to behave differently:
// workers block on Redis and must wait out an outage (maxRetriesPerRequest: null), while
// producers and the ingress must fail fast so an HTTP caller gets a 503, not a hang.
import { Redis, Cluster, type RedisOptions, type ClusterNode, type ClusterOptions } from 'ioredis';

export type RedisConnection = Redis | Cluster;
/**
 * worker: BullMQ's own connections (blocking commands, waits out outages);
 * commands: a worker process's own reads and writes (same patience, its own socket);
 * client: producers and the ingress (fail fast, auto-pipelined).
 */
export type ConnectionKind = 'worker' | 'commands' | 'client';

export interface RedisSettings {
  url: string;
  clusterNodes?: string[] | undefined;
}

/** Per-connection ioredis options for each kind. */
export function optionsFor(kind: ConnectionKind): RedisOptions {
  if (kind === 'worker') {
    return { maxRetriesPerRequest: null, enableReadyCheck: true };
  }
  if (kind === 'commands') {
    // Not auto-pipelined. It saves socket writes, but every auto-pipeline is an ioredis
    // Pipeline whose garbage outlives young-generation collections: at 500 jobs/s one
    // process promoted 8x the bytes to the old generation and spent 4x as long in scavenge
    // pauses (3-8 ms each), which made workers miss their rate-limit slots, and it cost
    // more CPU per job than the writes it saved (570 vs 444 µs in the same loop).
    return { maxRetriesPerRequest: null, enableReadyCheck: true };
  }
  return {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    // Concurrent requests' commands share one socket write (the ingress sends an EXISTS
    // and a job add per webhook); explicit pipelines and MULTI are unaffected.
    enableAutoPipelining: true,
    connectTimeout: 2_000,
    commandTimeout: 2_000,
    // Keep reconnecting in the background so a client recovers when Redis returns.
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  };
}

export function createRedis(settings: RedisSettings, kind: ConnectionKind): RedisConnection {
  if (settings.clusterNodes && settings.clusterNodes.length > 0) {
    const nodes: ClusterNode[] = settings.clusterNodes.map((hp) => {
      const [host, port] = hp.split(':');
      return { host: host ?? '127.0.0.1', port: Number(port ?? 6379) };
    });
    return new Cluster(nodes, clusterOptionsFor(kind));
  }
  return new Redis(settings.url, optionsFor(kind));
}

/** A Cluster keeps its own offline queue: worker processes wait out an outage, producers fail fast. */
export function clusterOptionsFor(kind: ConnectionKind): ClusterOptions {
  return { redisOptions: optionsFor(kind), enableOfflineQueue: kind === 'worker' || kind === 'commands' };
}

/** Resolves once the connection is ready, or rejects after `timeoutMs`. */
export async function waitForReady(conn: RedisConnection, timeoutMs = 5_000): Promise<void> {
  if (conn.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not ready after ${timeoutMs} ms (status ${conn.status})`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      conn.off('ready', onReady);
    };
    conn.on('ready', onReady);
  });
}

/**
 * Deletes every key under a prefix (SCAN and UNLINK a page at a time), e.g. the demo's, a
 * benchmark's or a test's own keys; returns how many went. MATCH treats `{` literally but
 * `[`, `?` and `*` specially; fleet prefixes use none of those.
 */
export async function deleteKeysWithPrefix(redis: RedisConnection, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** Keys for the fleet's own state, under the same hash tag as the queues. */
export function fleetKey(prefix: string, ...parts: string[]): string {
  return [prefix, ...parts].join(':');
}
