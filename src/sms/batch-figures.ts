// A batch's intake figures, counted per row: each row once, however often the batch is
// submitted (a resumed file, a chunk written again after a Redis stall, a replayed API
// body), and only the first N rejections kept in full, every one counted by reason.
import type { RedisConnection } from '../redis.ts';
import { defineScript } from '../redis-script.ts';
import type { Rejection } from './message-store.ts';

/** What one row of a submission came to, for the batch's figures. */
export type RowOutcome =
  | { row: number; kind: 'accepted'; segments: number }
  | { row: number; kind: 'duplicate' }
  | { row: number; kind: 'rejected'; rejection: Rejection; reason: string };

/** Distinct rejection reasons counted per batch; the rest are counted together. */
const MAX_REASON_KINDS = 200;

// The rows counted so far are a bitmap.
// KEYS: batch hash, rows bitmap, rejections list. ARGV: retention s, stored cap, created
// at, JSON array of [row, kind (0 accepted, 1 duplicate, 2 rejected), segments, reason,
// rejection JSON]. Returns 1 per row counted now, 0 per row counted before.
const RECORD_LUA = `
local rows = cjson.decode(ARGV[4])
local cap = tonumber(ARGV[2])
redis.call('HSETNX', KEYS[1], 'createdAt', ARGV[3])
local fresh = {}
local total, accepted, duplicates, rejected, segments = 0, 0, 0, 0, 0
local stored = redis.call('LLEN', KEYS[3])
for i, r in ipairs(rows) do
  local old = redis.call('SETBIT', KEYS[2], r[1], 1)
  fresh[i] = 1 - old
  if old == 0 then
    total = total + 1
    if r[2] == 0 then
      accepted = accepted + 1
      segments = segments + r[3]
    elseif r[2] == 1 then
      duplicates = duplicates + 1
    else
      rejected = rejected + 1
      local field = 'reason:' .. r[4]
      if redis.call('HEXISTS', KEYS[1], field) == 0 and redis.call('HINCRBY', KEYS[1], 'reasonKinds', 1) > ${MAX_REASON_KINDS} then
        field = 'reason:(other reasons)'
      end
      redis.call('HINCRBY', KEYS[1], field, 1)
      if stored < cap then
        redis.call('RPUSH', KEYS[3], r[5])
        stored = stored + 1
      end
    end
  end
end
if total > 0 then
  redis.call('HINCRBY', KEYS[1], 'total', total)
  redis.call('HINCRBY', KEYS[1], 'accepted', accepted)
  redis.call('HINCRBY', KEYS[1], 'duplicates', duplicates)
  redis.call('HINCRBY', KEYS[1], 'rejected', rejected)
  redis.call('HINCRBY', KEYS[1], 'segments', segments)
end
for k = 1, 3 do redis.call('EXPIRE', KEYS[k], tonumber(ARGV[1])) end
return fresh
`;
const recordScript = defineScript<number[]>('cxfSmsRecordIntake', 3, RECORD_LUA);

/** Counts rows into a batch; answers per row whether it was counted now (not before). */
export async function recordRows(
  redis: RedisConnection,
  keys: [batch: string, rows: string, rejections: string],
  rows: RowOutcome[],
  opts: { retentionS: number; maxStored: number },
): Promise<boolean[]> {
  const packed = rows.map((r) =>
    r.kind === 'accepted'
      ? [r.row, 0, r.segments]
      : r.kind === 'duplicate'
        ? [r.row, 1, 0]
        : [r.row, 2, 0, r.reason.slice(0, 200), JSON.stringify(r.rejection)],
  );
  const fresh = await recordScript.run(redis, keys, [opts.retentionS, opts.maxStored, String(Date.now()), JSON.stringify(packed)]);
  return fresh.map((f) => f === 1);
}
