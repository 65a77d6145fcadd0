// The message store's scripts against real Redis: for every pair of states the transition
// must decide exactly as the pure state machine does, and move the batch's counters and
// the reconciliation set with it; replay's reopen must agree with reopenForReplay; a
// receipt that comes before its dispatch is recorded must be applied when it is.
import { describe, expect, it } from 'vitest';
import { applyTransition, MESSAGE_STATES, reopenForReplay, type MessageState } from '../../src/domain/sms/message-state.ts';
import { fleetKey } from '../../src/redis.ts';
import { AWAITING_STATES } from '../../src/sms/message-scripts.ts';
import { createMessageStore } from '../../src/sms/message-store.ts';
import { keysMatching, useTestRedis } from '../helpers/redis.ts';

const { redis, prefix } = useTestRedis('store');
const awaitingKey = fleetKey(prefix, 'sms', 'awaiting');

async function messageIn(store: ReturnType<typeof createMessageStore>, batchId: string, state: MessageState, cxoneId?: string) {
  const messageId = `${batchId}.1`;
  await store.createMessages(batchId, [{ messageId, row: 1, to: '+14155550123', campaignId: 'c1', encoding: 'GSM-7', segments: 1, priority: 'bulk' }]);
  // Put the message in `state` the way the counters would have it.
  const batchKey = fleetKey(prefix, 'sms', 'batch', batchId);
  await redis.hset(fleetKey(prefix, 'sms', 'msg', messageId), 'state', state, ...(cxoneId ? ['cxoneId', cxoneId] : []));
  await redis.hset(batchKey, 'state:queued', 0, `state:${state}`, 1);
  return { messageId, batchKey };
}

async function stateCounts(batchKey: string) {
  const counts = await redis.hgetall(batchKey);
  return Object.fromEntries(Object.entries(counts).filter(([k, v]) => k.startsWith('state:') && v !== '0'));
}

describe('message store transitions', () => {
  it('agree with applyTransition for every (current, next) pair, counters and reconciliation set included', async () => {
    const store = createMessageStore({ redis, prefix, retentionS: 600 });
    for (const current of MESSAGE_STATES) {
      for (const next of MESSAGE_STATES) {
        const { messageId, batchKey } = await messageIn(store, `b-${current}-${next}`, current);
        const expected = applyTransition(current, next);
        const result = await store.transition(messageId, next, { at: 1_000, cxoneId: next === 'dispatched' ? `cx-${messageId}` : undefined });
        expect({ current, next, changed: result.changed, state: (await store.getMessage(messageId))?.state }).toEqual({
          current,
          next,
          changed: expected.changed,
          state: expected.state,
        });
        expect(await stateCounts(batchKey)).toEqual({ [`state:${expected.state}`]: '1' });
        // Waiting for CXone exactly when the change put it in a waiting state.
        const waiting = (await redis.zscore(awaitingKey, messageId)) !== null;
        expect({ current, next, waiting }).toEqual({ current, next, waiting: expected.changed && AWAITING_STATES.includes(expected.state) });
      }
    }
  });

  it('reopen for replay agrees with reopenForReplay for every state, with and without a CXone id', async () => {
    const store = createMessageStore({ redis, prefix, retentionS: 600 });
    for (const current of MESSAGE_STATES) {
      for (const cx of [false, true]) {
        const { messageId, batchKey } = await messageIn(store, `r-${current}-${cx}`, current, cx ? `cx-r-${current}` : undefined);
        const expected = reopenForReplay(current, cx);
        expect({ current, cx, verdict: await store.reopenForReplay(messageId) }).toEqual({ current, cx, verdict: expected });
        const after = expected.action === 'reopen' ? 'queued' : current;
        expect((await store.getMessage(messageId))?.state).toBe(after);
        expect(await stateCounts(batchKey)).toEqual({ [`state:${after}`]: '1' });
        if (expected.action === 'reopen') expect((await store.getMessage(messageId))?.replays).toBe(1);
      }
    }
    expect(await store.reopenForReplay('no-such-message')).toMatchObject({ action: 'skip' });
  });
});

describe('receipts before their dispatch', () => {
  it('are parked and applied when the dispatch records the CXone id, keeping the best one', async () => {
    const store = createMessageStore({ redis, prefix, retentionS: 600 });
    const { messageId, batchKey } = await messageIn(store, 'early', 'queued');
    expect(await store.applyReceipt('cx-early', 'delivered', { at: 2_000 })).toEqual({ changed: false, parked: true });
    // A later, lower-ranked receipt does not replace the parked one.
    expect(await store.applyReceipt('cx-early', 'sent', { at: 3_000 })).toEqual({ changed: false, parked: true });
    expect((await store.getMessage(messageId))?.state).toBe('queued');

    const r = await store.transition(messageId, 'dispatched', { cxoneId: 'cx-early', at: 1_000 });
    expect(r).toEqual({ changed: true, from: 'queued', to: 'delivered' });
    const msg = await store.getMessage(messageId);
    expect(msg).toMatchObject({ state: 'delivered', cxoneId: 'cx-early', dispatchedAt: 1_000, finalAt: 2_000 });
    expect(await stateCounts(batchKey)).toEqual({ 'state:delivered': '1' });
    expect(await redis.exists(fleetKey(prefix, 'sms', 'early', 'cx-early'))).toBe(0);
    expect(await redis.zscore(awaitingKey, messageId)).toBeNull();
    // Once the id is known, a receipt applies directly.
    expect(await store.applyReceipt('cx-early', 'undelivered')).toMatchObject({ parked: false, changed: false, messageId, to: 'delivered' });
  });

  it('a reconciliation set member is claimed once per recheck', async () => {
    let t = 10_000;
    const store = createMessageStore({ redis, prefix: `${prefix.slice(0, -1)}-claim}`, retentionS: 600, reconcileAfterMs: 100, now: () => t });
    const { messageId } = await (async () => {
      const id = 'claim.1';
      await store.createMessages('claim', [{ messageId: id, row: 1, to: '+14155550123', campaignId: 'c1', encoding: 'GSM-7', segments: 1, priority: 'bulk' }]);
      return { messageId: id };
    })();
    await store.transition(messageId, 'dispatched', { cxoneId: 'cx-claim' });
    expect(await store.claimDue(10, 1_000)).toEqual([]); // not due before reconcileAfterMs
    t += 100;
    expect(await store.claimDue(10, 1_000)).toEqual([messageId]);
    expect(await store.claimDue(10, 1_000)).toEqual([]); // pushed to its recheck
    t += 1_000;
    expect(await store.claimDue(10, 1_000)).toEqual([messageId]);
    await store.transition(messageId, 'delivered');
    t += 10_000;
    expect(await store.claimDue(10, 1_000)).toEqual([]);
    await redis.del(...(await keysMatching(redis, `${prefix.slice(0, -1)}-claim}*`)));
  });
});
