// Pacing policies and abandonment windows (PA-U1..PA-U3), pure.
import { describe, expect, it } from 'vitest';
import { abandonWindows, decidePacing, seedRate, windowRate, DAY_MS, type AbandonBudget, type PacingInputs } from '../../src/domain/campaigns/pacing.ts';
import { checkContactList, pollDelay } from '../../src/domain/campaigns/launch.ts';

const BUDGET: AbandonBudget = { limit: 0.03, target: 0.024, minAnswered: 50, onExhausted: 'floor', floorCpm: 1 };
const quiet = { h24: { rate: 0, answered: 0, abandoned: 0 }, d30: { rate: 0, answered: 0, abandoned: 0 } };
const inputs = (o: Partial<PacingInputs>): PacingInputs => ({ currentCpm: 10, answerRate: 0.3, abandonRate: 0, windows: quiet, ...o });

describe('PA-U1: the seed rule at its boundaries', () => {
  const table: [number, number][] = [
    [0.36, 25],
    [0.35, 25],
    [0.349, 10],
    [0.175, 10],
    [0.1749, 5],
  ];
  it.each(table)('answer rate %s -> %s calls/min (seed and, with abandonment 0, seed+abandon-cap)', (rate, cpm) => {
    expect(seedRate(rate, 0.35)).toBe(cpm);
    expect(decidePacing(inputs({ answerRate: rate }), { policy: 'seed', targetAnswerRate: 0.35, budget: BUDGET }).cpm).toBe(cpm);
    expect(decidePacing(inputs({ answerRate: rate }), { policy: 'seed+abandon-cap', targetAnswerRate: 0.35, budget: BUDGET }).cpm).toBe(cpm);
  });
  it('manual never changes the rate', () => {
    expect(decidePacing(inputs({ answerRate: 0.9, currentCpm: 7 }), { policy: 'manual', targetAnswerRate: 0.35, budget: BUDGET })).toMatchObject({ cpm: 7, kind: 'hold' });
  });
});

describe('PA-U2: the abandonment cap', () => {
  const cap = (o: Partial<PacingInputs>, b: Partial<AbandonBudget> = {}) => decidePacing(inputs(o), { policy: 'seed+abandon-cap', targetAnswerRate: 0.35, budget: { ...BUDGET, ...b } });
  it('realtime abandonment of 4 % (above the limit): no raise, the rate is halved', () => {
    expect(cap({ answerRate: 0.5, abandonRate: 0.04, currentCpm: 10 })).toMatchObject({ cpm: 5, kind: 'lower' });
    expect(cap({ answerRate: 0.5, abandonRate: 0.04, currentCpm: 25 })).toMatchObject({ cpm: 12, kind: 'lower' });
    expect(cap({ answerRate: 0.5, abandonRate: 0.04, currentCpm: 1 })).toMatchObject({ cpm: 1, kind: 'hold' });
  });
  it('between target and limit: no raise, a lower rate still goes through', () => {
    expect(cap({ answerRate: 0.5, abandonRate: 0.025, currentCpm: 10 })).toMatchObject({ cpm: 10, kind: 'hold' });
    expect(cap({ answerRate: 0.1, abandonRate: 0.025, currentCpm: 10 })).toMatchObject({ cpm: 5, kind: 'lower' });
  });
  it('a window at the limit with at least 50 live answers: floor, or stop; 49 answers take no budget action', () => {
    const at = (answered: number) => ({ h24: { rate: 0.03, answered, abandoned: Math.round(answered * 0.03) }, d30: quiet.d30 });
    expect(cap({ answerRate: 0.5, windows: at(50) })).toMatchObject({ cpm: 1, kind: 'floor' });
    expect(cap({ answerRate: 0.5, windows: at(50) }, { onExhausted: 'stop' })).toMatchObject({ kind: 'stop' });
    expect(cap({ answerRate: 0.5, windows: at(49) })).toMatchObject({ cpm: 25, kind: 'raise' });
    const d30 = { h24: quiet.h24, d30: { rate: 0.031, answered: 1204, abandoned: 37 } };
    expect(cap({ windows: d30 }).reason).toBe('abandoned 3.10 % of 1204 live answers over 30d (limit 3.00 %)');
  });
  it('PACING_MAX_STEP_UP=0.5 turns a raise 10 -> 25 into 10 -> 15', () => {
    expect(cap({ answerRate: 0.5, currentCpm: 10 }, { maxStepUp: 0.5 })).toMatchObject({ cpm: 15, kind: 'raise' });
  });
});

describe('PA-U3: windows from cumulative samples', () => {
  it('a campaign younger than the window counts from its start', () => {
    const s = [
      { t: 1000, answered: 100, abandoned: 2 },
      { t: 2000, answered: 200, abandoned: 6 },
    ];
    expect(windowRate(s, 2000, DAY_MS)).toEqual({ rate: 0.03, answered: 200, abandoned: 6 });
  });
  it('24 h counts the change since the last sample at or before its start; 30 d since the campaign start', () => {
    const now = 40 * DAY_MS;
    const s = [
      { t: now - 35 * DAY_MS, answered: 1000, abandoned: 10 },
      { t: now - 2 * DAY_MS, answered: 5000, abandoned: 60 },
      { t: now - DAY_MS, answered: 6000, abandoned: 70 },
      { t: now, answered: 7000, abandoned: 100 },
    ];
    const w = abandonWindows(s, now);
    expect(w.h24).toEqual({ rate: 30 / 1000, answered: 1000, abandoned: 30 });
    expect(w.d30).toEqual({ rate: 90 / 6000, answered: 6000, abandoned: 90 });
    expect(windowRate([], now, DAY_MS)).toEqual({ rate: 0, answered: 0, abandoned: 0 });
  });
});

describe('launch gates and poll timing', () => {
  const now = Date.parse('2024-07-25T08:30:00Z');
  it('DNC compliance and freshness (0 = off)', () => {
    expect(checkContactList({ id: 'CL-1', dncCompliant: true, lastValidated: '2024-07-20T00:00:00Z' }, now, 31)).toEqual({ ok: true });
    expect(checkContactList({ id: 'CL-1', dncCompliant: false }, now, 31)).toMatchObject({ code: 'CONTACT_LIST_NOT_DNC_COMPLIANT' });
    expect(checkContactList({ id: 'CL-x', dncCompliant: true, lastValidated: '2024-06-15T08:30:00Z' }, now, 31)).toEqual({
      ok: false,
      code: 'CONTACT_LIST_DNC_STALE',
      message: 'contact list CL-x was last validated 2024-06-15 (40 days ago; at most 31)',
    });
    expect(checkContactList({ id: 'CL-x', dncCompliant: true, lastValidated: '2024-06-15T08:30:00Z' }, now, 0)).toEqual({ ok: true });
  });
  it('3 s + [0, 2 s), doubled per 429 up to 30 s', () => {
    expect(pollDelay(3000, 2000, 0, () => 0)).toBe(3000);
    expect(pollDelay(3000, 2000, 0, () => 0.999)).toBe(4998);
    expect(pollDelay(3000, 2000, 1, () => 0)).toBe(6000);
    expect(pollDelay(3000, 2000, 9, () => 0)).toBe(30_000);
  });
});
