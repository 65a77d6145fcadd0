// The ingress for one test file: its own key prefix and config, started before the file's
// tests, closed and its keys removed after them.
import { afterAll, beforeAll } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createIngressDeps } from '../../src/ingress/deps.ts';
import { startIngress, type RunningIngress } from '../../src/ingress/server.ts';
import { createLogger } from '../../src/logger.ts';
import { REDIS_ENV, createTestRedis, deleteKeysWithPrefix, testPrefix } from './redis.ts';

export function useIngress(label: string, env: Record<string, string>) {
  const prefix = testPrefix(label);
  const config = loadConfig({ ...REDIS_ENV, FLEET_PREFIX: prefix, LOG_LEVEL: 'silent', ...env });
  const deps = createIngressDeps(config, createLogger({ level: 'silent' }));
  const state: { prefix: string; deps: typeof deps; ingress: RunningIngress | undefined } = { prefix, deps, ingress: undefined };
  beforeAll(async () => {
    state.ingress = await startIngress({ ...deps, host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await state.ingress?.close();
    await deps.close();
    const redis = createTestRedis();
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });
  return state;
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}
