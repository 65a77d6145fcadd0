// Flow contents and published revisions in Redis. A content is stored once under its hash
// (flowKey); a revision is appended when a CXone job completes, once per CXone job even
// when two publish jobs saw the same one (a replayed idempotency key), in one script so
// that the revision number, the latest pointer and the lookups never disagree.
import { z } from 'zod';
import { flowSchema } from '../domain/flows/flow-schema.ts';
import type { Flow } from '../domain/flows/flow-schema.ts';
import { flowContent } from '../domain/flows/canonical.ts';
import { defineScript } from '../redis-script.ts';
import type { RedisConnection } from '../redis.ts';
import { flowKeys, nameRef } from './keys.ts';

export const revisionSchema = z.object({
  revision: z.number().int().positive(),
  flowKey: z.string(),
  message: z.string(),
  publishedAt: z.string(),
  cxoneJobId: z.string(),
  cxoneFlowId: z.string(),
  publishId: z.string(),
});
export type FlowRevision = z.infer<typeof revisionSchema>;

export interface FlowHead {
  name: string;
  latestRevision: number;
  latestFlowKey: string;
  cxoneFlowId: string;
  updatedAt: string;
}

const recordScript = defineScript<[number, number]>(
  'cxfFlowRecordRevision',
  5,
  `
local seen = redis.call('HGET', KEYS[3], ARGV[4])
if seen then return {tonumber(seen), 0} end
local n = redis.call('LLEN', KEYS[2]) + 1
redis.call('RPUSH', KEYS[2], cjson.encode({revision = n, flowKey = ARGV[1], message = ARGV[2], publishedAt = ARGV[3], cxoneJobId = ARGV[4], cxoneFlowId = ARGV[5], publishId = ARGV[6]}))
redis.call('HSET', KEYS[3], ARGV[4], n)
redis.call('HSET', KEYS[1], 'name', ARGV[7], 'latestRevision', n, 'latestFlowKey', ARGV[1], 'cxoneFlowId', ARGV[5], 'updatedAt', ARGV[3])
redis.call('HSET', KEYS[4], ARGV[7], ARGV[8])
redis.call('HSET', KEYS[5], ARGV[5], ARGV[7])
return {n, 1}
`,
);

export function createFlowStore(deps: { redis: RedisConnection; prefix: string }) {
  const { redis } = deps;
  const keys = flowKeys(deps.prefix);

  return {
    keys,
    /** Stores the content (idempotent: same content, same key) and answers its key. */
    async putSpec(flow: Flow): Promise<string> {
      const { json, flowKey } = flowContent(flow);
      await redis.set(keys.spec(flowKey), json, 'NX');
      return flowKey;
    },

    async getSpec(flowKey: string): Promise<Flow | undefined> {
      const raw = await redis.get(keys.spec(flowKey));
      return raw === null ? undefined : flowSchema.parse(JSON.parse(raw));
    },

    async head(name: string): Promise<FlowHead | undefined> {
      const h = await redis.hgetall(keys.name(nameRef(name)));
      if (!h.name) return undefined;
      return { name: h.name, latestRevision: Number(h.latestRevision), latestFlowKey: h.latestFlowKey ?? '', cxoneFlowId: h.cxoneFlowId ?? '', updatedAt: h.updatedAt ?? '' };
    },

    /** The revision of this CXone job: appended now (isNew), or recorded before. */
    async recordRevision(name: string, r: Omit<FlowRevision, 'revision'>): Promise<{ revision: number; isNew: boolean }> {
      const ref = nameRef(name);
      const [revision, isNew] = await recordScript.run(
        redis,
        [keys.name(ref), keys.revisions(ref), keys.revisionByJob(ref), keys.names(), keys.byFlowId()],
        [r.flowKey, r.message, r.publishedAt, r.cxoneJobId, r.cxoneFlowId, r.publishId, name, ref],
      );
      return { revision, isNew: isNew === 1 };
    },

    async revisions(name: string): Promise<FlowRevision[]> {
      const rows = await redis.lrange(keys.revisions(nameRef(name)), 0, -1);
      return rows.map((row) => revisionSchema.parse(JSON.parse(row)));
    },

    async revision(name: string, n: number): Promise<FlowRevision | undefined> {
      const row = await redis.lindex(keys.revisions(nameRef(name)), n - 1);
      return row === null ? undefined : revisionSchema.parse(JSON.parse(row));
    },

    async names(): Promise<string[]> {
      return (await redis.hkeys(keys.names())).sort();
    },

    async nameOfFlowId(cxoneFlowId: string): Promise<string | undefined> {
      return (await redis.hget(keys.byFlowId(), cxoneFlowId)) ?? undefined;
    },

    /** Remembers a CXone job as the fleet's own (drift detection asks). */
    async markOwnJob(cxoneJobId: string, publishId: string): Promise<void> {
      await redis.hset(keys.jobs(), cxoneJobId, publishId);
    },

    async ownJob(cxoneJobId: string): Promise<string | undefined> {
      return (await redis.hget(keys.jobs(), cxoneJobId)) ?? undefined;
    },
  };
}

export type FlowStore = ReturnType<typeof createFlowStore>;
