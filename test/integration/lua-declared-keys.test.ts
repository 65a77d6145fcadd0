// Every Lua script on the SMS path declares in KEYS every key it touches (issue 21): a
// cluster routes a script by its declared keys, so a key built inside Lua may live on
// another shard. The scripts run against real Redis under MONITOR, which shows each
// EVALSHA with its declared keys followed by the commands it ran (a script is atomic, so
// nothing else comes between); COMMAND GETKEYS names the keys of each command.
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEntry } from '../../src/audit.ts';
import { createBreaker } from '../../src/cxone/breaker.ts';
import { createRateLimiter } from '../../src/cxone/rate-limiter.ts';
import { fleetKey } from '../../src/redis.ts';
import { createMessageStore } from '../../src/sms/message-store.ts';
import { createRepeatGuard } from '../../src/sms/repeat-guard.ts';
import { startEphemeralRedis, type EphemeralRedis } from '../helpers/ephemeral-redis.ts';

// A private Redis: MONITOR on the shared one would see every other test's traffic.
let server: EphemeralRedis;
let redis: Redis;
const prefix = '{cxft-luakeys}';
beforeAll(async () => {
  server = await startEphemeralRedis();
  redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  redis.disconnect();
  await server.destroy();
});

interface ScriptRun {
  declared: string[];
  commands: string[][];
}

/** The arguments of one MONITOR line: `+<time> [<db> <source>] "arg" "arg" ...`. */
function monitorLine(line: string): { source: string; args: string[] } | undefined {
  const m = /^\+[\d.]+ \[\d+ ([^\]]+)\] (.*)$/.exec(line);
  if (!m) return undefined;
  const args = [...m[2]!.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((a) => a[1]!.replace(/\\(x[0-9a-f]{2}|.)/g, (_, e: string) => (e.length === 3 ? String.fromCharCode(parseInt(e.slice(1), 16)) : e === 'n' ? '\n' : e)));
  return { source: m[1]!, args };
}

/** The scripts `work` ran, each with its declared keys and the commands it ran. */
async function scriptRuns(work: () => Promise<void>): Promise<ScriptRun[]> {
  const socket = connect(server.port, '127.0.0.1');
  const runs: ScriptRun[] = [];
  let open: ScriptRun | undefined;
  let buffered = '';
  const done = 'lua-declared-keys-done';
  let finished!: () => void;
  const seenDone = new Promise<void>((resolve) => (finished = resolve));
  let monitoring!: () => void;
  const started = new Promise<void>((resolve) => (monitoring = resolve));
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\r\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 2);
      if (line === '+OK') monitoring();
      const entry = monitorLine(line);
      if (!entry) continue;
      if (entry.source === 'lua') {
        open?.commands.push(entry.args);
        continue;
      }
      open = undefined;
      const cmd = entry.args[0]?.toLowerCase();
      if (cmd === 'evalsha' || cmd === 'eval') {
        open = { declared: entry.args.slice(3, 3 + Number(entry.args[2])), commands: [] };
        runs.push(open);
      } else if (cmd === 'echo' && entry.args[1] === done) finished();
    }
  });
  socket.write('MONITOR\r\n');
  await started;
  try {
    await work();
    await redis.echo(done);
    await seenDone;
  } finally {
    socket.destroy();
  }
  // An EVALSHA Redis did not know yet (NOSCRIPT) ran nothing; the EVAL after it did.
  return runs.filter((r) => r.commands.length > 0);
}

/** The keys a command names (none for TIME, PUBLISH and the like). */
async function keysOf(command: string[]): Promise<string[]> {
  try {
    return (await redis.call('COMMAND', 'GETKEYS', ...command)) as string[];
  } catch {
    return [];
  }
}

async function undeclared(runs: ScriptRun[]) {
  const found: { declared: string[]; command: string }[] = [];
  for (const run of runs) {
    for (const command of run.commands) {
      for (const key of await keysOf(command)) if (!run.declared.includes(key)) found.push({ declared: run.declared, command: command.join(' ') });
    }
  }
  return found;
}

const message = (messageId: string) => ({ messageId, row: 1, to: '+14155550123', campaignId: 'c1', encoding: 'GSM-7', segments: 1, priority: 'bulk' });

describe('Lua scripts declare every key they touch', () => {
  it('the message store: create, intake figures, the send pre-check, transitions with and without a CXone id and with an audit record, receipts parked and applied, replay, reconciliation claims', async () => {
    let t = 1_000_000;
    const store = createMessageStore({ redis, prefix, retentionS: 600, reconcileAfterMs: 10, now: () => t });
    const guard = createRepeatGuard({ redis, prefix, accountId: 'a', windowS: 60 });
    const runs = await scriptRuns(async () => {
      await store.recordIntake('b1', [{ row: 1, kind: 'accepted', segments: 1 }, { row: 2, kind: 'rejected', reason: 'to', rejection: { row: 2, reasons: [{ field: 'to', message: 'bad' }] } }]);
      await store.createMessages('b1', [message('m1'), message('m2'), message('m3')]);
      await guard.claim('b1', [{ row: 1, contentHash: 'h1' }]);
      // A receipt before its dispatch is parked, then applied by the dispatch.
      expect(await store.applyReceipt('cx1', 'delivered')).toEqual({ changed: false, parked: true });
      expect(await store.sendStates(fleetKey(prefix, 'consent', 'a', 'out'), [{ messageId: 'm1', to: '+14155550123' }])).toMatchObject([{ current: { state: 'queued' }, optedOut: false }]);
      const audit = auditEntry({ kind: 'sms.dispatch', accountId: 'a', messageId: 'm1', status: 'dispatched' });
      expect(await store.transition('m1', 'dispatched', { cxoneId: 'cx1' }, { batchId: 'b1', audit })).toMatchObject({ to: 'delivered' });
      await store.transition('m2', 'dispatched', { cxoneId: 'cx2' });
      expect(await store.applyReceipt('cx2', 'sent')).toMatchObject({ changed: true, to: 'sent', messageId: 'm2' });
      // A job whose batch is not the record's (a resubmission in another batch).
      expect(await store.transition('m3', 'unknown', { maybeSent: true }, { batchId: 'other-batch' })).toMatchObject({ changed: true, to: 'unknown' });
      t += 100;
      expect(await store.claimDue(10, 1_000)).toEqual(expect.arrayContaining(['m2', 'm3']));
      await store.transition('m3', 'failed', {}, { onlyFrom: 'unknown' });
      expect(await store.reopenForReplay('m3')).toMatchObject({ action: 'reopen' });
    });
    expect(runs.length).toBeGreaterThanOrEqual(10);
    expect(await undeclared(runs)).toEqual([]);
    // The declared batch that was not the record's was corrected, not written.
    expect(await redis.exists(fleetKey(prefix, 'sms', 'batch', 'other-batch'))).toBe(0);
    expect(await redis.hget(fleetKey(prefix, 'sms', 'batch', 'b1'), 'state:queued')).toBe('1');
    expect(await redis.xlen(fleetKey(prefix, 'audit'))).toBe(1);
  });

  it('the message store: several transitions in one step, a parked receipt among them and one message of another batch', async () => {
    const store = createMessageStore({ redis, prefix, retentionS: 600, reconcileAfterMs: 10 });
    await store.createMessages('many', [message('n1'), message('n2')]);
    await store.createMessages('elsewhere', [message('n3')]);
    await store.applyReceipt('cxn1', 'delivered');
    const audit = auditEntry({ kind: 'sms.dispatch', accountId: 'a', messageId: 'n2', status: 'dispatched' });
    const runs = await scriptRuns(async () => {
      const results = await store.transitionMany('many', [
        { messageId: 'n1', next: 'dispatched', fields: { cxoneId: 'cxn1', attempts: 1 } },
        { messageId: 'n2', next: 'dispatched', fields: { cxoneId: 'cxn2', attempts: 1 }, audit },
        { messageId: 'n3', next: 'dispatched', fields: { cxoneId: 'cxn3', attempts: 1 } },
      ]);
      expect(results).toEqual([
        { changed: true, from: 'queued', to: 'delivered' },
        { changed: true, from: 'queued', to: 'dispatched' },
        { changed: true, from: 'queued', to: 'dispatched' },
      ]);
    });
    expect(await undeclared(runs)).toEqual([]);
    const counts = (batchId: string) => redis.hgetall(fleetKey(prefix, 'sms', 'batch', batchId));
    expect(await counts('many')).toEqual({ 'state:queued': '0', 'state:delivered': '1', 'state:dispatched': '1' });
    expect(await counts('elsewhere')).toEqual({ 'state:queued': '0', 'state:dispatched': '1' });
    expect(await store.messageIdForCxone('cxn2')).toBe('n2');
    expect(await redis.xlen(fleetKey(prefix, 'audit'))).toBeGreaterThanOrEqual(1);
  });

  it('the CXone limiter and breaker: a booking, a 429 pause, a breaker check and record', async () => {
    const limiter = createRateLimiter({
      redis,
      prefix,
      accountId: 'a',
      rps: 10,
      burst: 1,
      minIntervalMs: 0,
      maxWaitMs: 1_000,
      lateMs: 15,
      adaptive: { startRps: 10, decrease: 0.2, climb: 0.02 },
      backoff: { baseMs: 2_000, capMs: 60_000, quietMs: 10_000 },
    });
    const breaker = createBreaker({ redis, prefix, accountId: 'a', failureThreshold: 2, openMs: 1_000, halfOpenSuccesses: 1, refreshMs: 0 });
    const runs = await scriptRuns(async () => {
      await limiter.acquire();
      await limiter.rateLimited(undefined);
      await breaker.check();
      await breaker.record(false);
    });
    await limiter.close();
    expect(runs.length).toBeGreaterThanOrEqual(4);
    expect(await undeclared(runs)).toEqual([]);
  });

  it('the check itself finds a key built inside Lua', async () => {
    const runs = await scriptRuns(async () => {
      await redis.eval(`redis.call('SET', KEYS[1] .. ':built', '1')`, 1, `${prefix}:declared`);
    });
    expect(await undeclared(runs)).toEqual([{ declared: [`${prefix}:declared`], command: `SET ${prefix}:declared:built 1` }]);
  });
});
