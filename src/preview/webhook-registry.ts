// Webhooks this fleet registered with CXone, by name (one registration per account and name).
import type { RedisConnection } from '../redis.ts';
import { previewKeys } from './keys.ts';

export function createWebhookRegistry(deps: { redis: RedisConnection; prefix: string; accountId: string }) {
  const key = previewKeys(deps.prefix).webhooks(deps.accountId);
  return {
    get: async (name: string) => (await deps.redis.hget(key, name)) ?? undefined,
    set: async (name: string, id: string) => void (await deps.redis.hset(key, name, id)),
  };
}
