// The chaos suite's verdicts (scripts/chaos/figures.ts) and round selection: each check
// fails on the figure it names, and attempts are asserted only where CXone did not fail.
import { describe, expect, it } from 'vitest';
import { checks, type RoundFigures } from '../../scripts/chaos/figures.ts';
import { ROUNDS } from '../../scripts/chaos/rounds.ts';
import { selectRounds } from '../../scripts/chaos/suite.ts';

const clean: RoundFigures = {
  messages: 100,
  atCxone: 100,
  lost: 0,
  reportedNotSent: 0,
  withCxoneId: 100,
  repeatedRecipients: 0,
  keyedResends: 3,
  unkeyedSends: 0,
  notTerminal: 0,
  sendAttemptsBeyondFirst: 0,
  receiptAttemptsBeyondFirst: 0,
  startsWithoutAttempt: 4,
  failedJobs: 0,
  receiptsDropped: 0,
  receiptsFailed: 0,
  statusReads: 0,
  lookups: 0,
  states: { delivered: 100 },
};

const failing = (f: Partial<RoundFigures>, spendsAttempts = false) =>
  checks({ ...clean, ...f }, spendsAttempts)
    .filter((c) => !c.ok)
    .map((c) => c.name);

describe('chaos round checks', () => {
  it('pass on a clean round, keyed resends and takeovers included', () => {
    expect(failing({})).toEqual([]);
  });

  it('fail on the figure that is off', () => {
    expect(failing({ lost: 1, atCxone: 99 })).toEqual(['sends lost', 'records agree with CXone']);
    expect(failing({ repeatedRecipients: 1 })).toEqual(['repeated recipients at CXone']);
    expect(failing({ unkeyedSends: 2 })).toEqual(['sends without an idempotency key']);
    expect(failing({ notTerminal: 5 })).toEqual(['messages not terminal']);
    expect(failing({ receiptAttemptsBeyondFirst: 1 })).toEqual(['attempts spent on the fault']);
  });

  it('do not assert attempts in a round where CXone itself failed requests', () => {
    expect(failing({ sendAttemptsBeyondFirst: 40 }, true)).toEqual([]);
    expect(failing({ sendAttemptsBeyondFirst: 40 }, false)).toEqual(['attempts spent on the fault']);
  });
});

describe('selectRounds', () => {
  it('takes every round by default, and rounds by number or name', () => {
    expect(selectRounds([])).toBe(ROUNDS);
    expect(selectRounds(['2', 'cxone-5xx']).map((r) => r.name)).toEqual(['redis-freeze', 'cxone-5xx']);
  });

  it('names the rounds there are when one is unknown', () => {
    expect(() => selectRounds(['9'])).toThrow(/CHAOS_ROUNDS: no round "9" \(1-8 or one of worker-sigkill, /);
  });
});
