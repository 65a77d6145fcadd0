#!/usr/bin/env node
// Runs a command with a Redis that answers: REDIS_URL (default redis://127.0.0.1:6379) when
// it does, otherwise an ephemeral `redis-server` on a free loopback port, stopped
// afterwards; otherwise it fails at once, saying how to get Redis.
//
// WITH_CLUSTER=1 also gives the command a local 3-master, 3-replica Redis Cluster
// (scripts/redis-cluster.mjs, ports CLUSTER_BASE_PORT..+5, default 7000) in
// REDIS_CLUSTER_NODES, which the fleet, the tests and the benches then use; it is stopped
// afterwards unless it was already running. A REDIS_CLUSTER_NODES already set is passed on.
import { spawn } from 'node:child_process';
import { register } from 'tsx/esm/api';
import { clusterStatus, startCluster, stopCluster } from './redis-cluster.mjs';

register();
const { ensureRedis } = await import('../src/dev/local-redis.ts');

const [cmd, ...args] = process.argv.slice(2);
if (!cmd) {
  console.error('usage: [WITH_CLUSTER=1] with-redis <command> [args...]');
  process.exit(2);
}

let redis;
try {
  redis = await ensureRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
} catch (err) {
  console.error(`with-redis: ${err.message}`);
  process.exit(2);
}
if (redis.started) console.error(`with-redis: started an ephemeral redis-server at ${redis.url}`);

const env = { ...process.env, REDIS_URL: redis.url };
let stopClusterAfter = async () => {};
if (process.env.WITH_CLUSTER === '1' && !process.env.REDIS_CLUSTER_NODES) {
  const cluster = { basePort: Number(process.env.CLUSTER_BASE_PORT ?? 7000) };
  try {
    const running = (await clusterStatus(cluster)).ok;
    const { nodes } = await startCluster(cluster);
    env.REDIS_CLUSTER_NODES = nodes.join(',');
    console.error(`with-redis: ${running ? 'using the running' : 'started a local'} Redis Cluster at ${env.REDIS_CLUSTER_NODES}`);
    if (!running) stopClusterAfter = () => stopCluster(cluster);
  } catch (err) {
    redis.stop();
    console.error(`with-redis: cannot start the local Redis Cluster: ${err.message}`);
    process.exit(2);
  }
}

const child = spawn(cmd, args, { stdio: 'inherit', env });
const forward = (sig) => child.kill(sig);
process.on('SIGINT', forward);
process.on('SIGTERM', forward);
child.on('exit', (code, signal) => {
  redis.stop();
  stopClusterAfter()
    .catch((err) => console.error(`with-redis: stopping the cluster: ${err.message}`))
    .finally(() => process.exit(code ?? (signal ? 1 : 0)));
});
