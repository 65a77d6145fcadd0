// The flow-event worker's logic: record each flow.* event once under its flow, and report
// a change the fleet did not cause as drift (an audit record and a metric). The fleet
// causes exactly the changes of the CXone jobs it submitted, which the publish step
// records as it submits them; anything else (an edit in the CXone UI, a deletion, another
// tool's publish) is drift. Event types CXone may add later are recorded and not judged.
import type { AuditLog } from '../audit.ts';
import { defineScript } from '../redis-script.ts';
import type { RedisConnection } from '../redis.ts';
import type { FlowMetrics } from './flow-metrics.ts';
import { flowKeys } from './keys.ts';
import type { FlowEventData } from '../queues/payloads.ts';
import type { FlowStore } from './revisions.ts';

const RETENTION_S = 30 * 24 * 3600;
const MAX_EVENTS_PER_FLOW = 1000;

// Returns {new (1|0), audited (1|0)}: a redelivered or retried event is not recorded twice,
// and its audit is written unless an earlier run got that far.
const recordScript = defineScript<[number, number]>(
  'cxfFlowRecordEvent',
  2,
  `
if redis.call('HEXISTS', KEYS[1], 'recorded') == 1 then
  return {0, redis.call('HEXISTS', KEYS[1], 'audited')}
end
redis.call('HSET', KEYS[1], 'recorded', '1')
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[3]) - 1)
redis.call('EXPIRE', KEYS[2], ARGV[2])
return {1, 0}
`,
);

export interface RecordedEvent {
  eventId: string;
  eventType: string;
  flowId: string;
  timestamp: string;
  receivedAt: number;
  name?: string;
  version?: number;
  jobId?: string;
  drift: boolean;
  subscriptionId?: string;
}

export type DriftVerdict = { drift: false; publishId?: string } | { drift: true; reason: string };

export interface FlowEventDeps {
  redis: RedisConnection;
  prefix: string;
  store: FlowStore;
  audit: AuditLog;
  accountId: string;
  metrics?: FlowMetrics;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);

/** Whether the fleet caused this change. */
export async function judgeEvent(store: FlowStore, e: Pick<FlowEventData, 'eventType' | 'data'>): Promise<DriftVerdict | undefined> {
  if (e.eventType === 'flow.deleted') return { drift: true, reason: 'deleted outside the fleet (the fleet never deletes flows)' };
  if (e.eventType !== 'flow.created' && e.eventType !== 'flow.updated') return undefined;
  const jobId = str(e.data.jobId) ?? str(e.data.job_id);
  if (!jobId) return { drift: true, reason: `${e.eventType.slice(5)} without a job: not a publish` };
  const publishId = await store.ownJob(jobId);
  return publishId ? { drift: false, publishId } : { drift: true, reason: `job ${jobId} was not submitted by the fleet` };
}

export function createFlowEventRecorder(deps: FlowEventDeps) {
  const keys = flowKeys(deps.prefix);
  return async function recordFlowEvent(e: FlowEventData): Promise<RecordedEvent & { duplicate: boolean }> {
    const verdict = await judgeEvent(deps.store, e);
    const name = str(e.data.name) ?? (await deps.store.nameOfFlowId(e.flowId));
    const version = typeof e.data.version === 'number' ? e.data.version : undefined;
    const recorded: RecordedEvent = {
      eventId: e.eventId,
      eventType: e.eventType,
      flowId: e.flowId,
      timestamp: e.timestamp,
      receivedAt: e.receivedAt,
      ...(name ? { name } : {}),
      ...(version !== undefined ? { version } : {}),
      ...(str(e.data.jobId) ? { jobId: str(e.data.jobId) } : {}),
      drift: verdict?.drift ?? false,
      ...(e.subscriptionId ? { subscriptionId: e.subscriptionId } : {}),
    };
    const [isNew, audited] = await recordScript.run(deps.redis, [keys.event(e.eventId), keys.events(e.flowId)], [JSON.stringify(recorded), RETENTION_S, MAX_EVENTS_PER_FLOW]);
    if (isNew === 1) deps.metrics?.events.inc({ type: e.eventType });
    if (audited === 0) {
      const base = { accountId: deps.accountId, entityId: name ?? e.flowId, cxoneId: e.flowId };
      await deps.audit.append({ ...base, kind: 'flow.event', status: e.eventType, details: { eventId: e.eventId, ...(version !== undefined ? { version } : {}) } });
      if (verdict?.drift) {
        await deps.audit.append({ ...base, kind: 'flow.drift', status: e.eventType, details: { eventId: e.eventId, reason: verdict.reason } });
        if (isNew === 1) deps.metrics?.drift.inc({ type: e.eventType });
      }
      await deps.redis.hset(keys.event(e.eventId), 'audited', '1');
    }
    return { ...recorded, duplicate: isNew === 0 };
  };
}

/** Recorded events of one CXone flow, newest first. */
export async function flowEvents(redis: RedisConnection, prefix: string, flowId: string, count = 100): Promise<RecordedEvent[]> {
  return (await redis.lrange(flowKeys(prefix).events(flowId), 0, count - 1)).map((l) => JSON.parse(l) as RecordedEvent);
}
