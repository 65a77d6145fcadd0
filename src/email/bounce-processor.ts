// The email-bounce job: classify (hard / soft / complaint, raw type kept), count per
// address, and suppress by the configured thresholds. Counting and the processed marker
// are one Lua script, so a redelivered or retried event counts once, and a retry after a
// crash between counting and suppressing still suppresses (the decision is re-made from
// the stored counts on every delivery).
import type { AuditLog } from '../audit.ts';
import type { Processor } from '../queues/define-worker.ts';
import type { RedisConnection } from '../redis.ts';
import { classifyBounce, shouldSuppress } from '../domain/email/bounce.ts';
import { emailKeys, maskAddress, normalizeAddress } from './keys.ts';
import type { EmailSettingsStore } from './settings.ts';
import type { SuppressionStore } from './suppression-store.ts';

const DAY_MS = 86_400_000;
const SEEN_TTL_S = 30 * 24 * 3600;
const COUNTS_TTL_S = 400 * 24 * 3600;

// KEYS: seen marker, counts hash, soft-window zset.
// ARGV: class, eventId, eventAtMs, windowStartMs, seenTtlS, rawType, countsTtlS.
// Returns {duplicate, hard, softInWindow, complaint}.
const COUNT_SCRIPT = `
local dup = 0
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[5]) then
  redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
  redis.call('HINCRBY', KEYS[2], 'raw:' .. ARGV[6], 1)
  redis.call('HSET', KEYS[2], 'lastRawType', ARGV[6], 'lastClass', ARGV[1])
  if ARGV[1] == 'soft' then redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2]) end
  redis.call('EXPIRE', KEYS[2], ARGV[7])
  redis.call('EXPIRE', KEYS[3], ARGV[7])
else
  dup = 1
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[4])
local h = redis.call('HMGET', KEYS[2], 'hard', 'complaint')
return {dup, tonumber(h[1] or '0') or 0, redis.call('ZCARD', KEYS[3]), tonumber(h[2] or '0') or 0}
`;

export interface BounceDeps {
  redis: RedisConnection;
  prefix: string;
  settings: EmailSettingsStore;
  suppressions: SuppressionStore;
  audit: AuditLog;
  accountId: string;
  now?: () => number;
}

function recipientOf(data: { recipient?: string | undefined; extra?: Record<string, unknown> | undefined }): string | undefined {
  const r = data.recipient ?? data.extra?.email ?? data.extra?.address ?? data.extra?.to;
  return typeof r === 'string' && r.includes('@') ? normalizeAddress(r) : undefined;
}

export function createBounceProcessor(deps: BounceDeps): Processor<'emailBounce'> {
  const keys = emailKeys(deps.prefix);
  const now = deps.now ?? Date.now;

  return async (data, { log }) => {
    const cls = classifyBounce(data.bounceType);
    const address = recipientOf(data);
    if (!address) {
      // Nothing to count against; kept in the job result so it is visible on the dashboard.
      log.warn({ eventId: data.eventId, channelId: data.channelId, bounceType: data.bounceType }, 'bounce without a recipient address: not counted');
      return { class: cls, rawType: data.bounceType, counted: false };
    }
    const settings = await deps.settings.get();
    const t = now();
    const parsedAt = Date.parse(data.timestamp);
    const eventAt = Number.isNaN(parsedAt) ? data.receivedAt : parsedAt;
    const windowStart = t - settings.bounce.softWindowDays * DAY_MS;
    const res = (await deps.redis.eval(
      COUNT_SCRIPT,
      3,
      keys.bounceSeen(data.eventId),
      keys.bounceCounts(address),
      keys.bounceSoft(address),
      cls,
      data.eventId,
      String(eventAt),
      String(windowStart),
      String(SEEN_TTL_S),
      data.bounceType.slice(0, 100),
      String(COUNTS_TTL_S),
    )) as [number, number, number, number];
    const [dup, hard, soft, complaint] = res;
    const counts = { hard, soft, complaint };
    const masked = maskAddress(address);

    let suppressed = false;
    if (shouldSuppress(counts, settings.bounce)) {
      const reason = `${cls} bounce threshold reached (hard ${hard}/${settings.bounce.hard}, soft ${soft}/${settings.bounce.soft} in ${settings.bounce.softWindowDays} d, complaint ${complaint}/${settings.bounce.complaint})`;
      const fresh = await deps.suppressions.suppress(
        address,
        { reason, class: cls, rawType: data.bounceType, channelId: data.channelId, suppressedAt: t },
        settings.suppressionTtlDays * DAY_MS,
      );
      suppressed = true;
      if (fresh) {
        await deps.audit.append({ kind: 'email.suppressed', accountId: deps.accountId, recipient: masked, entityId: data.channelId, messageId: data.messageId, status: cls });
        log.warn({ recipient: masked, channelId: data.channelId, class: cls, rawType: data.bounceType, counts }, 'email address suppressed');
      }
    }
    log.debug({ recipient: masked, class: cls, rawType: data.bounceType, duplicate: dup === 1, counts }, 'bounce counted');
    return { class: cls, rawType: data.bounceType, duplicate: dup === 1, counts, suppressed };
  };
}

/** Counts of one address, for status displays. */
export async function bounceCountsOf(redis: RedisConnection, prefix: string, address: string) {
  const keys = emailKeys(prefix);
  const a = normalizeAddress(address);
  const h = await redis.hgetall(keys.bounceCounts(a));
  const softInWindow = await redis.zcard(keys.bounceSoft(a));
  return { hard: Number(h.hard ?? 0), soft: Number(h.soft ?? 0), complaint: Number(h.complaint ?? 0), softInWindow, lastRawType: h.lastRawType };
}
