// The message store's transition script against real Redis: for every pair of states it
// must decide exactly as the pure state machine does, and move the batch's counters with it.
import { describe, expect, it } from 'vitest';
import { applyTransition, MESSAGE_STATES } from '../../src/domain/sms/message-state.ts';
import { fleetKey } from '../../src/redis.ts';
import { createMessageStore } from '../../src/sms/message-store.ts';
import { useTestRedis } from '../helpers/redis.ts';

const { redis, prefix } = useTestRedis('store');

describe('message store transitions', () => {
  it('agree with applyTransition for every (current, next) pair, counters included', async () => {
    const store = createMessageStore({ redis, prefix, retentionS: 600 });
    for (const current of MESSAGE_STATES) {
      for (const next of MESSAGE_STATES) {
        const batchId = `b-${current}-${next}`;
        const messageId = `${batchId}.1`;
        await store.createMessages(batchId, [{ messageId, row: 1, to: '+14155550123', campaignId: 'c1', encoding: 'GSM-7', segments: 1, priority: 'bulk' }]);
        // Put the message in `current` the way the counters would have it.
        const batchKey = fleetKey(prefix, 'sms', 'batch', batchId);
        await redis.hset(fleetKey(prefix, 'sms', 'msg', messageId), 'state', current);
        await redis.hset(batchKey, 'state:queued', 0, `state:${current}`, 1);

        const expected = applyTransition(current, next);
        const result = await store.transition(messageId, next, { at: 1_000, cxoneId: next === 'dispatched' ? `cx-${batchId}` : undefined });
        expect({ current, next, changed: result.changed, state: (await store.getMessage(messageId))?.state }).toEqual({
          current,
          next,
          changed: expected.changed,
          state: expected.state,
        });
        const counts = await redis.hgetall(batchKey);
        const stateCounts = Object.fromEntries(Object.entries(counts).filter(([k, v]) => k.startsWith('state:') && v !== '0'));
        expect(stateCounts).toEqual({ [`state:${expected.state}`]: '1' });
      }
    }
  });
});
