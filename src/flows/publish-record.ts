// What a person or CI asks about one publish: its status and the steps it went through.
// The step job keeps its own resume state in the job; this record is the view of it that
// `flow status`, `flow publish --wait` and GET /api/flows/publishes/:id read, from any process.
import type { RedisConnection } from '../redis.ts';
import { flowKeys } from './keys.ts';

export const PUBLISH_STATUSES = ['queued', 'running', 'completed', 'unchanged', 'failed'] as const;
export type PublishStatus = (typeof PUBLISH_STATUSES)[number];

export interface PublishStepLine {
  at: string;
  step: string;
  status: string;
  detail?: string;
}

export interface PublishRecord {
  publishId: string;
  name: string;
  flowKey: string;
  message: string;
  force: boolean;
  requestedAt: string;
  status: PublishStatus;
  step: string;
  cxoneJobId?: string;
  cxoneFlowId?: string;
  revision?: number;
  polls: number;
  errorCode?: string;
  error?: string;
  /** The CXone job's own errors (F-35), each as the server wrote it. */
  serverErrors?: string[];
  /** Something that did not stop the publish (a subscription that could not be registered). */
  warning?: string;
  updatedAt: string;
}

const RETENTION_S = 30 * 24 * 3600;

type Patch = Partial<Omit<PublishRecord, 'publishId' | 'serverErrors'>> & { serverErrors?: string[] };

function toFields(patch: Patch): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? JSON.stringify(v) : String(v);
  }
  return out;
}

function fromFields(h: Record<string, string>): PublishRecord | undefined {
  if (!h.publishId) return undefined;
  const opt = (k: string) => (h[k] === undefined || h[k] === '' ? undefined : h[k]);
  return {
    publishId: h.publishId,
    name: h.name ?? '',
    flowKey: h.flowKey ?? '',
    message: h.message ?? '',
    force: h.force === 'true',
    requestedAt: h.requestedAt ?? '',
    status: (h.status ?? 'queued') as PublishStatus,
    step: h.step ?? '',
    cxoneJobId: opt('cxoneJobId'),
    cxoneFlowId: opt('cxoneFlowId'),
    revision: h.revision ? Number(h.revision) : undefined,
    polls: Number(h.polls ?? 0),
    errorCode: opt('errorCode'),
    error: opt('error'),
    serverErrors: h.serverErrors ? (JSON.parse(h.serverErrors) as string[]) : undefined,
    warning: opt('warning'),
    updatedAt: h.updatedAt ?? '',
  };
}

export function createPublishRecords(deps: { redis: RedisConnection; prefix: string; now?: () => number }) {
  const { redis } = deps;
  const keys = flowKeys(deps.prefix);
  const now = () => new Date((deps.now ?? Date.now)()).toISOString();

  return {
    async create(r: Pick<PublishRecord, 'publishId' | 'name' | 'flowKey' | 'message' | 'force' | 'requestedAt'>): Promise<void> {
      const key = keys.publish(r.publishId);
      await redis
        .multi()
        .hset(key, toFields({ ...r, status: 'queued', step: 'queued', polls: 0, updatedAt: now() }))
        .hset(key, 'publishId', r.publishId)
        .expire(key, RETENTION_S)
        .exec();
      await this.step(r.publishId, { step: 'queued', status: 'ok', detail: `flow "${r.name}" content ${r.flowKey.slice(0, 12)}` });
    },

    async update(publishId: string, patch: Patch): Promise<void> {
      await redis.hset(keys.publish(publishId), toFields({ ...patch, updatedAt: now() }));
    },

    /** Appends a step line (what `flow publish --wait` prints) and sets the current step. */
    async step(publishId: string, line: Omit<PublishStepLine, 'at'>): Promise<void> {
      const key = keys.publishSteps(publishId);
      await redis
        .multi()
        .rpush(key, JSON.stringify({ at: now(), ...line }))
        .expire(key, RETENTION_S)
        .hset(keys.publish(publishId), 'step', line.step, 'updatedAt', now())
        .exec();
    },

    async get(publishId: string): Promise<PublishRecord | undefined> {
      return fromFields(await redis.hgetall(keys.publish(publishId)));
    },

    /** Step lines from index `from` on (a waiting CLI asks for the ones it has not printed). */
    async steps(publishId: string, from = 0): Promise<PublishStepLine[]> {
      return (await redis.lrange(keys.publishSteps(publishId), from, -1)).map((l) => JSON.parse(l) as PublishStepLine);
    },
  };
}

export type PublishRecords = ReturnType<typeof createPublishRecords>;

export const isFinalStatus = (s: PublishStatus): boolean => s === 'completed' || s === 'unchanged' || s === 'failed';
