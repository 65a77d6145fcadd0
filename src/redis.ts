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

/**
 * How long a worker's Redis command waits out a cluster failover before it fails: a dead
 * master is noticed after cluster-node-timeout (15 s by default) and its replica promoted
 * about a second later. Sizing: docs/adr/0005-cluster-failover.md.
 */
export const FAILOVER_BUDGET_MS = 30_000;
/** Between two tries of a command during a failover (connection closed, CLUSTERDOWN, TRYAGAIN). */
const FAILOVER_RETRY_DELAY_MS = 300;
/** MOVED and ASK count against the same budget in ioredis: room for a resharding's redirects. */
const SPARE_REDIRECTIONS = 16;

/**
 * Workers (and a worker process's own commands) wait a failover out: every failover retry
 * spends one of maxRedirections, so retries x delay covers FAILOVER_BUDGET_MS. Producers
 * and the ingress keep ioredis' defaults (16 x 100 ms) and no offline queue: a webhook is
 * answered 503 + Retry-After within its bound and CXone delivers it again.
 */
export function clusterOptionsFor(kind: ConnectionKind): ClusterOptions {
  const waits = kind === 'worker' || kind === 'commands';
  const retryDelay = waits ? FAILOVER_RETRY_DELAY_MS : 100;
  return {
    redisOptions: optionsFor(kind),
    enableOfflineQueue: waits,
    retryDelayOnFailover: retryDelay,
    retryDelayOnClusterDown: retryDelay,
    retryDelayOnTryAgain: retryDelay,
    maxRedirections: waits ? Math.ceil(FAILOVER_BUDGET_MS / FAILOVER_RETRY_DELAY_MS) + SPARE_REDIRECTIONS : 16,
    // When every node is unreachable the whole Cluster reconnects: forever, at most 2 s apart.
    clusterRetryStrategy: (times) => Math.min(times * 100, 2_000),
    // Asking a node for the slot map while another is failing: the default 1 s is tight on a
    // loaded machine and a timed-out refresh keeps the stale map.
    slotsRefreshTimeout: 2_000,
    // No CLUSTER INFO check before 'ready': mid-failover it reads cluster_state:fail, and
    // ioredis then reconnects on its own but never settles the connect() promise it was
    // answering. BullMQ awaits that promise when its watchdog resets a blocking connection,
    // so a Worker stopped for good (docs/adr/0005-cluster-failover.md). Without the check,
    // commands meet CLUSTERDOWN instead and are retried within the budget above.
    enableReadyCheck: false,
  };
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
 * benchmark's or a test's own keys; returns how many went. On a cluster every master is
 * scanned (a prefix's keys share a slot only if it is hash-tagged). MATCH treats `{`
 * literally but `[`, `?` and `*` specially; fleet prefixes use none of those.
 */
export async function deleteKeysWithPrefix(redis: RedisConnection, prefix: string): Promise<number> {
  if (!(redis instanceof Cluster)) return deleteOnNode(redis, prefix, (keys) => redis.unlink(...keys));
  await waitForReady(redis, 10_000); // the node list is known once the Cluster is ready
  let deleted = 0;
  for (const master of redis.nodes('master')) {
    // One UNLINK per key: keys of one node may sit in different slots (CROSSSLOT otherwise).
    deleted += await deleteOnNode(master, prefix, async (keys) => {
      const results = (await master.pipeline(keys.map((k) => ['unlink', k])).exec()) ?? [];
      return results.reduce((n, [err, count]) => (err ? n : n + Number(count)), 0);
    });
  }
  return deleted;
}

async function deleteOnNode(node: Redis, prefix: string, unlink: (keys: string[]) => Promise<number>): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await unlink(keys);
  } while (cursor !== '0');
  return deleted;
}

// ioredis, BullMQ and Redis itself signal an unreachable or failing-over Redis through
// several error types and messages: a restart or a freeze (connection closed, timeouts),
// a cluster failover (CLUSTERDOWN, TRYAGAIN, MOVED until the map is fresh, READONLY from a
// demoted master, MASTERDOWN from a replica that lost its master, LOADING while a restarted
// node reads its AOF) and ioredis giving up on any of those (too many redirections). All
// mean "try again later", never "the request was wrong".
const UNAVAILABLE_NAMES = new Set(['RedisUnavailableError', 'MaxRetriesPerRequestError', 'ConnectionClosedError']);
// Anchored: these words alone could appear in an unrelated message.
const UNAVAILABLE_REPLY = /^(MOVED|ASK|UNBLOCKED) /;
const UNAVAILABLE_MESSAGE =
  /enableOfflineQueue|Connection is closed|Command timed out|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|max retries per request|Stream isn't writeable|Redis not ready|Too many Cluster redirections|Cluster isn't ready|Failed to refresh slots cache|CLUSTERDOWN|TRYAGAIN|LOADING|READONLY|MASTERDOWN/i;

/**
 * True for an error that means Redis is unreachable, restarting or failing over (see above).
 * Callers apply it to errors from Redis calls only: a CXone call's connection errors are
 * FleetErrors and are classified on their own.
 */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (UNAVAILABLE_NAMES.has(err.name)) return true;
  return UNAVAILABLE_REPLY.test(err.message) || UNAVAILABLE_MESSAGE.test(err.message);
}

/** Keys for the fleet's own state, under the same hash tag as the queues. */
export function fleetKey(prefix: string, ...parts: string[]): string {
  return [prefix, ...parts].join(':');
}
