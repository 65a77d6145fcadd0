// The duplicate window: a message whose recipient, sender and text were already accepted
// within the window (default 24 h), in another batch or earlier in this one, is refused
// and named ("duplicate of <batch>/<row>"). The claim is one SET NX per message with the
// window as its TTL, in one script per chunk, so two producers racing on the same message
// cannot both win. A row claims the message as "<batch>/<row>", so the same row submitted
// again (a resumed batch, a retried chunk, a replayed API body) finds its own claim and
// passes.
import { createHash } from 'node:crypto';
import { fleetKey, type RedisConnection } from '../redis.ts';
import { defineScript } from '../redis-script.ts';

/** What the window compares: recipient, sender and text, hashed so keys stay short. */
export function contentHashOf(to: string, from: string, text: string): string {
  return createHash('sha256').update(`${to}\u0000${from}\u0000${text}`).digest('base64url');
}

export interface RepeatCandidate {
  row: number;
  contentHash: string;
}

// KEYS: one per message. ARGV: window s, batch id, JSON array of rows (strings), 'claim'
// or 'peek'. Per message: '' when it may go, else the "<batch>/<row>" that has it. Peek
// (a dry run) writes nothing but still sees repeats within the call.
const GUARD_LUA = `
local rows = cjson.decode(ARGV[3])
local claim = ARGV[4] == 'claim'
local seen = {}
local out = {}
for i = 1, #KEYS do
  local own = ARGV[2] .. '/' .. rows[i]
  local cur = seen[KEYS[i]] or redis.call('GET', KEYS[i])
  if not cur then
    if claim then redis.call('SET', KEYS[i], own, 'EX', tonumber(ARGV[1])) end
    seen[KEYS[i]] = own
    out[i] = ''
  elseif cur == own then
    out[i] = ''
  else
    out[i] = cur
  end
end
return out
`;
const guardScript = defineScript<string[]>('cxfSmsRepeatGuard', 'varying', GUARD_LUA);

export function createRepeatGuard(deps: { redis: RedisConnection; prefix: string; accountId: string; windowS: number }) {
  const keyOf = (hash: string) => fleetKey(deps.prefix, 'sms', 'seen', deps.accountId, hash);
  async function run(batchId: string, items: RepeatCandidate[], mode: 'claim' | 'peek'): Promise<(string | undefined)[]> {
    if (deps.windowS <= 0 || items.length === 0) return items.map(() => undefined);
    const holders = await guardScript.run(
      deps.redis,
      items.map((c) => keyOf(c.contentHash)),
      [deps.windowS, batchId, JSON.stringify(items.map((c) => String(c.row))), mode],
    );
    return holders.map((h) => (h === '' ? undefined : h));
  }
  return {
    windowS: deps.windowS,
    /** Claims each message for its row; answers, per message, the "<batch>/<row>" that had it first. */
    claim: (batchId: string, items: RepeatCandidate[]) => run(batchId, items, 'claim'),
    /** The same answer without claiming anything (dry runs). */
    peek: (batchId: string, items: RepeatCandidate[]) => run(batchId, items, 'peek'),
  };
}

export type RepeatGuard = ReturnType<typeof createRepeatGuard>;
