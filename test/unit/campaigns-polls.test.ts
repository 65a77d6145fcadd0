// Status polls of a launch (L-26, L-27, L-73), pure: waits of interval + jitter on a grid the
// account's launches share, each launch in its own slot.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pollDelay, pollPhase, type PollTiming } from '../../src/domain/campaigns/launch.ts';

const DEFAULTS: PollTiming = { intervalMs: 3000, jitterMs: 2000 };
const T0 = 1_700_000_000_000; // a multiple of the 4 s period
const at = (r: number) => () => r;

/** Where `t` falls in the period, measured from the launch's phase: [0, period). */
const inPeriod = (t: number, phase: number, periodMs: number) => (((t - phase * periodMs) % periodMs) + periodMs) % periodMs;

describe('pollDelay', () => {
  it('the first slot of the launch at least the interval away: 3 s + up to a period (4 s) to the slot', () => {
    expect(pollDelay(T0, 0, 0, DEFAULTS, at(0))).toBe(4000);
    expect(pollDelay(T0 + 1000, 0, 0, DEFAULTS, at(0))).toBe(3000);
    expect(pollDelay(T0 + 500, 0.5, 0, DEFAULTS, at(0))).toBe(5500); // slots at 2-3 s, 6-7 s
    // A random point of the slot (jitter / 2 = 1 s long)...
    expect(pollDelay(T0 + 1000, 0, 0, DEFAULTS, at(0.5))).toBe(3500);
    expect(pollDelay(T0 + 1000, 0, 0, DEFAULTS, at(0.999))).toBe(3999);
    // ...or of its rest, when the interval ends inside it.
    expect(pollDelay(T0 + 1500, 0, 0, DEFAULTS, at(0))).toBe(3000);
    expect(pollDelay(T0 + 1500, 0, 0, DEFAULTS, at(0.5))).toBe(3250);
  });

  it('doubled per 429 this launch met, up to 30 s, then on to its slot', () => {
    expect(pollDelay(T0, 0, 1, DEFAULTS, at(0))).toBe(8000); // 6 s, then the slot at 8 s
    expect(pollDelay(T0 + 2000, 0, 1, DEFAULTS, at(0))).toBe(6000);
    expect(pollDelay(T0, 0, 9, DEFAULTS, at(0))).toBe(32_000);
    expect(pollDelay(T0, 0, 9, { ...DEFAULTS, capMs: 10_000 }, at(0))).toBe(12_000);
  });

  it('without jitter: every interval exactly, on the launch phase', () => {
    const t = { intervalMs: 4000, jitterMs: 0 };
    expect(pollDelay(T0, 0.25, 0, t, at(0.7))).toBe(5000);
    expect(pollDelay(T0 + 5000, 0.25, 0, t, at(0.3))).toBe(4000);
    expect(pollDelay(T0, 0, 0, { intervalMs: 0, jitterMs: 0 }, at(0))).toBe(0);
  });

  it('at least the (doubled) interval, at most a period more, always in the launch slot', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: T0, max: T0 + 10 ** 9 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 1, max: 20_000 }),
        fc.integer({ min: 0, max: 20_000 }),
        (now, phase, r, rateLimited, intervalMs, jitterMs) => {
          const t = { intervalMs, jitterMs };
          const gap = Math.max(intervalMs, Math.min(30_000, intervalMs * 2 ** rateLimited));
          const periodMs = intervalMs + jitterMs / 2;
          const d = pollDelay(now, phase, rateLimited, t, at(r));
          expect(d).toBeGreaterThanOrEqual(gap);
          expect(d).toBeLessThanOrEqual(gap + periodMs + 1);
          expect(inPeriod(now + d, phase, periodMs)).toBeLessThanOrEqual(jitterMs / 2 + 1);
        },
      ),
    );
  });

  it('polls run on time or late by less than a slot stay one a period, interval + [0, jitter) apart: the phase does not drift', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: T0, max: T0 + 10 ** 9 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.integer({ min: 0, max: 999 })), { minLength: 30, maxLength: 30 }),
        (start, phase, draws) => {
          const periodMs = 4000;
          let now = start;
          const due: number[] = [];
          for (const [r, lateMs] of draws) {
            const d = pollDelay(now, phase, 0, DEFAULTS, at(r));
            due.push(now + d);
            now += d + lateMs; // the poll runs late, by less than a slot
          }
          const rounds = due.map((t) => Math.floor((t - phase * periodMs) / periodMs));
          for (let k = 1; k < due.length; k++) {
            expect(rounds[k]! - rounds[k - 1]!).toBe(1);
            const late = draws[k - 1]![1];
            expect(due[k]! - due[k - 1]! - late).toBeGreaterThanOrEqual(3000);
            expect(due[k]! - due[k - 1]!).toBeLessThanOrEqual(5000 + late);
          }
        },
      ),
    );
  });
});

describe('pollPhase', () => {
  it('any run of consecutive launches spreads evenly over the period', () => {
    for (const first of [0, 1, 1000, 2 ** 31 - 5, 2 ** 32 - 100]) {
      const phases = Array.from({ length: 200 }, (_, i) => pollPhase(first + i)).sort((a, b) => a - b);
      for (const p of phases) expect(p >= 0 && p < 1).toBe(true);
      // At most 2 more than a quarter of them in any quarter of the period.
      const wrapped = [...phases, ...phases.map((p) => p + 1)];
      let most = 0;
      for (let i = 0, j = 0; i < phases.length; i++) {
        while (j < wrapped.length && wrapped[j]! < phases[i]! + 0.25) j++;
        most = Math.max(most, j - i);
      }
      expect(most).toBeLessThanOrEqual(52);
      // Three gap lengths at most, the longest within the golden ratio squared of the shortest.
      const gaps = phases.map((p, i) => (phases[i + 1] ?? phases[0]! + 1) - p);
      expect(Math.max(...gaps) / Math.min(...gaps)).toBeLessThan(2.62);
    }
  });
});
