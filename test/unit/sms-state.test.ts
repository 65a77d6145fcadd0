import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  MESSAGE_STATES,
  MESSAGE_STATE_RULES,
  applyTransition,
  isMessageState,
  isTerminal,
  reopenForReplay,
} from '../../src/domain/sms/message-state.ts';
import type { MessageState } from '../../src/domain/sms/message-state.ts';

/** Fold a sequence of events from "no record". */
function run(events: readonly MessageState[], start?: MessageState): MessageState | undefined {
  let state = start;
  for (const e of events) state = applyTransition(state, e).state;
  return state;
}

function permutations<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [[...xs]];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]));
}

const FAILURES = ['undelivered', 'failed', 'expired', 'rejected'] as const satisfies readonly MessageState[];

describe('message states', () => {
  it('has a rule for every state and nothing else', () => {
    expect(Object.keys(MESSAGE_STATE_RULES).sort()).toEqual([...MESSAGE_STATES].sort());
  });

  it('classifies terminal states', () => {
    expect(MESSAGE_STATES.filter(isTerminal).sort()).toEqual(
      ['delivered', 'expired', 'failed', 'no-receipt', 'rejected', 'undelivered'].sort(),
    );
    for (const s of ['queued', 'unknown', 'dispatched', 'sent'] as const) expect(isTerminal(s)).toBe(false);
  });

  it('recognises state strings', () => {
    for (const s of MESSAGE_STATES) expect(isMessageState(s)).toBe(true);
    for (const v of ['DELIVERED', 'pending', '', undefined, null, 3, 'toString', '__proto__']) {
      expect(isMessageState(v)).toBe(false);
    }
  });
});

describe('applyTransition', () => {
  it('accepts any first event', () => {
    for (const s of MESSAGE_STATES) expect(applyTransition(undefined, s)).toEqual({ state: s, changed: true });
  });

  it('follows the happy path', () => {
    let state: MessageState | undefined;
    for (const next of ['queued', 'dispatched', 'sent', 'delivered'] as const) {
      const r = applyTransition(state, next);
      expect(r).toEqual({ state: next, changed: true });
      state = r.state;
    }
  });

  it('treats duplicates as no-ops', () => {
    for (const s of MESSAGE_STATES) expect(applyTransition(s, s)).toEqual({ state: s, changed: false });
  });

  it('never moves backwards', () => {
    expect(applyTransition('delivered', 'sent')).toEqual({ state: 'delivered', changed: false });
    expect(applyTransition('delivered', 'dispatched')).toEqual({ state: 'delivered', changed: false });
    expect(applyTransition('delivered', 'queued')).toEqual({ state: 'delivered', changed: false });
    expect(applyTransition('sent', 'dispatched')).toEqual({ state: 'sent', changed: false });
    expect(applyTransition('dispatched', 'queued')).toEqual({ state: 'dispatched', changed: false });
    expect(applyTransition('failed', 'sent')).toEqual({ state: 'failed', changed: false });
  });

  it('accepts a receipt that overtakes dispatch (CXone knows better)', () => {
    expect(applyTransition('queued', 'delivered')).toEqual({ state: 'delivered', changed: true });
    expect(applyTransition('queued', 'sent')).toEqual({ state: 'sent', changed: true });
    expect(applyTransition('queued', 'failed')).toEqual({ state: 'failed', changed: true });
  });

  it('converges to delivered for every ordering of dispatched, sent, delivered', () => {
    const orders = permutations(['dispatched', 'sent', 'delivered'] as const);
    expect(orders).toHaveLength(6);
    for (const order of orders) {
      expect(run(order), order.join(',')).toBe('delivered');
      expect(run(order, 'queued'), order.join(',')).toBe('delivered');
      // Replaying every event again changes nothing.
      expect(run([...order, ...order], 'queued')).toBe('delivered');
    }
  });

  describe('conflicting terminal states', () => {
    it('lets a later delivered override every failure terminal', () => {
      for (const f of FAILURES) expect(applyTransition(f, 'delivered')).toEqual({ state: 'delivered', changed: true });
    });

    it('never lets a failure override delivered', () => {
      for (const f of FAILURES) expect(applyTransition('delivered', f)).toEqual({ state: 'delivered', changed: false });
    });

    it('keeps the first failure terminal', () => {
      for (const a of FAILURES) {
        for (const b of FAILURES) expect(applyTransition(a, b)).toEqual({ state: a, changed: false });
      }
    });

    it('ends delivered for undelivered then delivered, in either order', () => {
      expect(run(['dispatched', 'sent', 'undelivered', 'delivered'])).toBe('delivered');
      expect(run(['dispatched', 'delivered', 'sent', 'undelivered'])).toBe('delivered');
    });
  });

  describe('expired and rejected (never left us)', () => {
    it('apply to a queued or unknown message', () => {
      for (const s of ['expired', 'rejected'] as const) {
        expect(applyTransition('queued', s)).toEqual({ state: s, changed: true });
        expect(applyTransition(undefined, s)).toEqual({ state: s, changed: true });
      }
    });

    it('are ignored once CXone has the message', () => {
      for (const s of ['expired', 'rejected'] as const) {
        for (const current of ['dispatched', 'sent'] as const) {
          expect(applyTransition(current, s)).toEqual({ state: current, changed: false });
        }
      }
    });

    it('are final against later statuses other than delivered', () => {
      expect(applyTransition('expired', 'sent')).toEqual({ state: 'expired', changed: false });
      expect(applyTransition('rejected', 'dispatched')).toEqual({ state: 'rejected', changed: false });
    });
  });
});

describe('unknown (a send that may have reached CXone)', () => {
  const CXONE_REPORTS = ['dispatched', 'sent', 'delivered', 'undelivered', 'failed'] as const;

  it('is reached from queued and is not terminal', () => {
    expect(applyTransition('queued', 'unknown')).toEqual({ state: 'unknown', changed: true });
    expect(isTerminal('unknown')).toBe(false);
  });

  it('moves forward to whatever CXone reports later, and to no-receipt at the deadline', () => {
    for (const s of [...CXONE_REPORTS, 'no-receipt'] as const) expect(applyTransition('unknown', s)).toEqual({ state: s, changed: true });
  });

  it('never replaces a state CXone reported, and ignores expired/rejected (CXone may have it)', () => {
    for (const s of CXONE_REPORTS) expect(applyTransition(s, 'unknown')).toEqual({ state: s, changed: false });
    for (const s of ['expired', 'rejected'] as const) expect(applyTransition('unknown', s)).toEqual({ state: 'unknown', changed: false });
  });
});

describe('no-receipt (no final status by the deadline)', () => {
  it('ends dispatched, sent and unknown messages', () => {
    for (const s of ['dispatched', 'sent', 'unknown'] as const) expect(applyTransition(s, 'no-receipt')).toEqual({ state: 'no-receipt', changed: true });
  });

  it('is corrected by a late final receipt, but not reopened by a late sent', () => {
    for (const s of ['delivered', 'undelivered', 'failed'] as const) expect(applyTransition('no-receipt', s)).toEqual({ state: s, changed: true });
    for (const s of ['sent', 'dispatched', 'unknown', 'queued'] as const) expect(applyTransition('no-receipt', s)).toEqual({ state: 'no-receipt', changed: false });
  });

  it('never replaces a final status', () => {
    for (const s of ['delivered', 'undelivered', 'failed', 'expired', 'rejected'] as const) {
      expect(applyTransition(s, 'no-receipt')).toEqual({ state: s, changed: false });
    }
  });
});

describe('reopenForReplay (the one way back, for replay only)', () => {
  it('reopens unknown, and failed only while CXone never gave it an id', () => {
    expect(reopenForReplay('unknown', false)).toEqual({ action: 'reopen', from: 'unknown' });
    expect(reopenForReplay('failed', false)).toEqual({ action: 'reopen', from: 'failed' });
    expect(reopenForReplay('failed', true)).toMatchObject({ action: 'skip', reason: expect.stringContaining('same key') });
    expect(reopenForReplay('queued', false)).toEqual({ action: 'resend' });
  });

  it('skips every other state with a reason', () => {
    for (const s of MESSAGE_STATES.filter((x) => !['unknown', 'failed', 'queued'].includes(x))) {
      for (const cx of [true, false]) expect(reopenForReplay(s, cx)).toMatchObject({ action: 'skip', reason: expect.stringMatching(/\w/) });
    }
    expect(reopenForReplay(undefined, false)).toMatchObject({ action: 'skip' });
  });

  it('is not something any status event can do: no event moves a terminal message back', () => {
    for (const from of MESSAGE_STATES.filter(isTerminal)) {
      for (const next of MESSAGE_STATES) {
        const r = applyTransition(from, next);
        expect(isTerminal(r.state), `${from} -> ${next}`).toBe(true);
      }
    }
  });
});

describe('properties', () => {
  const event = fc.constantFrom(...MESSAGE_STATES);
  const rank = (s: MessageState | undefined) => (s === undefined ? -1 : MESSAGE_STATE_RULES[s].rank);

  it('is monotonic: the rank never decreases and changed is exact', () => {
    fc.assert(
      fc.property(fc.option(event, { nil: undefined }), event, (current, next) => {
        const r = applyTransition(current, next);
        expect(rank(r.state)).toBeGreaterThanOrEqual(rank(current));
        expect(r.changed).toBe(r.state !== current);
        expect([current, next]).toContain(r.state);
      }),
      { numRuns: 500 },
    );
  });

  it('is idempotent: replaying any event again changes nothing', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 12 }), (events) => {
        const once = run(events);
        expect(run(events, once)).toBe(once);
      }),
      { numRuns: 500 },
    );
  });

  it('ends delivered whenever delivered was observed', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 12 }), fc.nat(12), (events, at) => {
        const withDelivered = [...events.slice(0, at), 'delivered' as const, ...events.slice(at)];
        expect(run(withDelivered)).toBe('delivered');
      }),
      { numRuns: 500 },
    );
  });

  it('is order-independent for the events CXone sends (all but expired/rejected)', () => {
    const cxoneEvent = fc.constantFrom<MessageState>('dispatched', 'sent', 'delivered', 'undelivered', 'failed');
    fc.assert(
      fc.property(fc.array(cxoneEvent, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 8 }), (events, swaps) => {
        // A shuffled copy: converge unless two different failure terminals both occur
        // (then "first failure wins" makes the order matter by design).
        const shuffled = [...events];
        swaps.forEach((s, i) => {
          const j = s % shuffled.length;
          const k = i % shuffled.length;
          [shuffled[j], shuffled[k]] = [shuffled[k] as MessageState, shuffled[j] as MessageState];
        });
        const failures = new Set(events.filter((e) => e === 'undelivered' || e === 'failed'));
        if (failures.size <= 1) expect(run(shuffled, 'queued')).toBe(run(events, 'queued'));
      }),
      { numRuns: 500 },
    );
  });
});
