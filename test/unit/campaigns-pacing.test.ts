// Pacing policies and abandonment windows (PA-U1..PA-U3), pure.
import { describe, expect, it } from 'vitest';
import { abandonWindows, decidePacing, pacingInputs, seedRate, windowRate, DAY_MS, type AbandonBudget, type PacingInputs } from '../../src/domain/campaigns/pacing.ts';
import { checkContactList } from '../../src/domain/campaigns/launch.ts';

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

describe('PA-U4: seed+abandon-cap steers by the abandonment budget once live answers are counted', () => {
  const win = (answered: number, abandoned: number) => ({ rate: abandoned / answered, answered, abandoned });
  const both = (answered: number, abandoned: number) => ({ h24: win(answered, abandoned), d30: win(answered, abandoned) });
  const steer = (o: Partial<PacingInputs>) => decidePacing(inputs({ answerRate: 0.3, settled: true, newAbandons: 0, ...o }), { policy: 'seed+abandon-cap', targetAnswerRate: 0.35, budget: BUDGET });
  it("no abandons over a settled realtime window, at or under the target (or one abandon of room to the limit): one step up, whatever the seed says", () => {
    expect(steer({ currentCpm: 10, windows: both(1000, 10) })).toMatchObject({ cpm: 11, kind: 'raise' });
    expect(steer({ currentCpm: 10, answerRate: 0.1, windows: both(1000, 10) })).toMatchObject({ cpm: 11, kind: 'raise' });
    expect(steer({ currentCpm: 25, windows: both(1000, 10) })).toMatchObject({ cpm: 25, kind: 'hold' });
  });
  it('holds while the rate in force has not run a whole realtime window, or abandons within budget', () => {
    expect(steer({ currentCpm: 10, windows: both(1000, 10), settled: false })).toMatchObject({ cpm: 10, kind: 'hold' });
    expect(steer({ currentCpm: 10, windows: both(1000, 10), abandonRate: 0.02, newAbandons: 1 })).toMatchObject({ cpm: 10, kind: 'hold' });
  });
  it('abandoning with less than one abandon of budget to the target: one step down; over the target: halved', () => {
    // 1000 answers, target 2.4 % -> 24 allowed.
    expect(steer({ currentCpm: 20, windows: both(1000, 24), abandonRate: 0.03, newAbandons: 1 })).toMatchObject({ cpm: 19, kind: 'lower' });
    expect(steer({ currentCpm: 20, windows: both(1000, 25), abandonRate: 0.03, newAbandons: 1 })).toMatchObject({ cpm: 10, kind: 'lower' });
    // Over the target but not settled: one step (a halving per realtime window at most)...
    expect(steer({ currentCpm: 20, windows: both(1000, 25), abandonRate: 0.03, newAbandons: 1, settled: false })).toMatchObject({ cpm: 19 });
    // ...unless one more abandon reaches the limit (990 answers: 29.7 allowed).
    expect(steer({ currentCpm: 20, windows: both(990, 29), abandonRate: 0.03, newAbandons: 1, settled: false })).toMatchObject({ cpm: 10 });
    expect(steer({ currentCpm: 1, windows: both(1000, 29), abandonRate: 0.03, newAbandons: 1 })).toMatchObject({ cpm: 1, kind: 'hold' });
  });
  it('over the target, a clean rate still climbs while one abandon of room to the limit is left; then it holds', () => {
    expect(steer({ currentCpm: 12, windows: both(1000, 27) })).toMatchObject({ cpm: 13, kind: 'raise' });
    expect(steer({ currentCpm: 12, windows: both(990, 29) })).toMatchObject({ cpm: 12, kind: 'hold' });
    // Realtime abandons still in the window (none new): no raise either.
    expect(steer({ currentCpm: 12, windows: both(1000, 20), abandonRate: 0.01 })).toMatchObject({ cpm: 12, kind: 'hold' });
  });
  it('a window at the limit still floors', () => {
    expect(steer({ currentCpm: 12, windows: both(1000, 30) })).toMatchObject({ cpm: 1, kind: 'floor' });
  });
  it('inputs from the samples: abandons since the previous check, settled after one realtime window', () => {
    const samples = [
      { t: 0, answered: 0, abandoned: 0 },
      { t: 30_000, answered: 100, abandoned: 2 },
      { t: 60_000, answered: 200, abandoned: 5 },
    ];
    const i = pacingInputs({ currentCpm: 10, cpmSince: 0, realtime: { answerRate: 0.3, abandonRate: 0.01 }, samples, now: 60_000, realtimeWindowMs: 60_000 });
    expect(i).toMatchObject({ newAbandons: 3, settled: true, windows: { h24: { answered: 200, abandoned: 5 } } });
    expect(pacingInputs({ currentCpm: 10, cpmSince: 1, realtime: { answerRate: 0.3, abandonRate: 0.01 }, samples, now: 60_000, realtimeWindowMs: 60_000 }).settled).toBe(false);
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

describe('launch gates', () => {
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
});
