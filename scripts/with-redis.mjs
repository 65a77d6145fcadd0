#!/usr/bin/env node
// Runs a command with a Redis that answers: REDIS_URL (default redis://127.0.0.1:6379) when
// it does, otherwise an ephemeral `redis-server` on a free loopback port, stopped
// afterwards; otherwise it fails at once, saying how to get Redis.
import { spawn } from 'node:child_process';
import { register } from 'tsx/esm/api';

register();
const { ensureRedis } = await import('../src/dev/local-redis.ts');

const [cmd, ...args] = process.argv.slice(2);
if (!cmd) {
  console.error('usage: with-redis <command> [args...]');
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

const child = spawn(cmd, args, { stdio: 'inherit', env: { ...process.env, REDIS_URL: redis.url } });
const forward = (sig) => child.kill(sig);
process.on('SIGINT', forward);
process.on('SIGTERM', forward);
child.on('exit', (code, signal) => {
  redis.stop();
  process.exit(code ?? (signal ? 1 : 0));
});
