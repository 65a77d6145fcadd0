// Pacing policies, pure. `seed` is the document's rule (CL 275-280): answer rate at or above
// the target -> 25 calls/min, below half the target -> 5, else 10. `seed+abandon-cap` (the
// default) answers as `seed`, under the same realtime caps (no raise above the abandon target,
// halve above the limit), until the rolling windows hold a live answer to measure
// abandonment against; from then on it steers the rate by the abandonment budget within
// [floor, 25] (see `steerToTarget` and docs/adr/0002-pacing-controller.md: the seed's 5/10/25
// cannot reach the connects of the best legal fixed rate). A window at the limit with at
// least `minAnswered` live answers floors (or stops) the campaign under either regime.
// `manual` never changes the rate.

export const PACING_POLICIES = ['seed', 'seed+abandon-cap', 'manual'] as const;
export type PacingPolicy = (typeof PACING_POLICIES)[number];

export const SEED_RATES = { high: 25, normal: 10, low: 5 } as const;

/** The document's rule, exactly (L-40, L-45). */
export function seedRate(answerRate: number, targetAnswerRate: number): number {
  if (answerRate >= targetAnswerRate) return SEED_RATES.high;
  if (answerRate < targetAnswerRate / 2) return SEED_RATES.low;
  return SEED_RATES.normal;
}

export interface WindowRate {
  /** Abandoned / live answers over the window (0 with no answers). */
  rate: number;
  answered: number;
  abandoned: number;
}

export interface PacingInputs {
  currentCpm: number;
  answerRate: number;
  /** Realtime abandon rate (abandoned / answered over the dialer's realtime window). */
  abandonRate: number;
  windows: { h24: WindowRate; d30: WindowRate };
  /** Abandons counted since the previous check (cumulative statistics): the rate in force is abandoning now. */
  newAbandons?: number | undefined;
  /** The rate in force has run for a whole realtime window, so the realtime figures describe it alone. */
  settled?: boolean | undefined;
}

export interface AbandonBudget {
  /** Regulatory cap, e.g. 0.03 (TSR 3 % over 30 days, Ofcom 3 % over 24 h). */
  limit: number;
  /** No raise above this realtime rate (default 0.8 x limit). */
  target: number;
  /** Windows with fewer live answers take no budget action (VICIdial's 50). */
  minAnswered: number;
  onExhausted: 'floor' | 'stop';
  floorCpm: number;
  /** A raise is at most this fraction of the current rate (0 / undefined: off). */
  maxStepUp?: number | undefined;
}

export interface PacingSettings {
  policy: PacingPolicy;
  targetAnswerRate: number;
  budget: AbandonBudget;
}

export type DecisionKind = 'raise' | 'hold' | 'lower' | 'floor' | 'stop';

export interface PacingDecision {
  cpm: number;
  kind: DecisionKind;
  /** Why, in words an auditor reads. */
  reason: string;
}

const pct = (r: number) => `${(r * 100).toFixed(2)} %`;

function kindOf(from: number, to: number): DecisionKind {
  if (to > from) return 'raise';
  if (to < from) return 'lower';
  return 'hold';
}

/** The window that has used up the budget, if one has (enough answers and at the limit). */
export function exhaustedWindow(windows: PacingInputs['windows'], budget: AbandonBudget): { name: '24h' | '30d'; window: WindowRate } | undefined {
  for (const [name, w] of [['24h', windows.h24], ['30d', windows.d30]] as const) {
    if (w.answered >= budget.minAnswered && w.rate >= budget.limit) return { name, window: w };
  }
  return undefined;
}

export function decidePacing(inputs: PacingInputs, settings: PacingSettings): PacingDecision {
  const { currentCpm, answerRate, abandonRate } = inputs;
  if (settings.policy === 'manual') return { cpm: currentCpm, kind: 'hold', reason: 'manual pacing' };
  const seed = seedRate(answerRate, settings.targetAnswerRate);
  const seedReason = `answer rate ${answerRate.toFixed(3)} vs target ${settings.targetAnswerRate}`;
  if (settings.policy === 'seed') return { cpm: seed, kind: kindOf(currentCpm, seed), reason: seedReason };

  const b = settings.budget;
  const exhausted = exhaustedWindow(inputs.windows, b);
  if (exhausted) {
    const w = exhausted.window;
    return {
      cpm: b.floorCpm,
      kind: b.onExhausted === 'stop' ? 'stop' : 'floor',
      reason: `abandoned ${pct(w.rate)} of ${w.answered} live answers over ${exhausted.name} (limit ${pct(b.limit)})`,
    };
  }
  // Until a live answer is counted there is no abandonment to steer by: the document's rule.
  if (Math.min(inputs.windows.h24.answered, inputs.windows.d30.answered) > 0) return steerToTarget(inputs, b);
  let cpm = seed;
  let reason = seedReason;
  if (abandonRate > b.limit) {
    cpm = Math.min(seed, Math.max(b.floorCpm, Math.floor(currentCpm / 2)));
    reason = `realtime abandon rate ${pct(abandonRate)} above the limit ${pct(b.limit)}: halved`;
  } else if (abandonRate > b.target && cpm > currentCpm) {
    cpm = currentCpm;
    reason = `realtime abandon rate ${pct(abandonRate)} above the target ${pct(b.target)}: no raise`;
  }
  if (b.maxStepUp && b.maxStepUp > 0 && cpm > currentCpm) {
    const capped = Math.max(currentCpm + 1, Math.floor(currentCpm * (1 + b.maxStepUp)));
    if (capped < cpm) {
      cpm = capped;
      reason = `${reason}; raise limited to +${Math.round(b.maxStepUp * 100)} %`;
    }
  }
  return { cpm, kind: kindOf(currentCpm, cpm), reason };
}

/** Abandons still allowed before `rate` is reached in the tighter window (negative: over). */
function abandonsLeft(windows: PacingInputs['windows'], rate: number): number {
  return Math.min(rate * windows.h24.answered - windows.h24.abandoned, rate * windows.d30.answered - windows.d30.abandoned);
}

/**
 * The abandonment-target controller (VICIdial's adaptive dial level, Amazon Connect's
 * abandonment-rate pacing). The target is where an abandoning rate is pushed down, the limit
 * the wall a raise respects: one call/min up while the rate in force has abandoned nobody
 * over a whole realtime window and the windows are at or under the target or keep at least
 * one abandon of room to the limit; down one when it abandons with less than one abandon of
 * budget left to the target;
 * halved when it abandons over the target (once per realtime window) or one abandon short of
 * the limit. A clean rate keeps climbing over the target: holding it refills the budget with
 * live answers, fastest at a rate that answers many and abandons none, never at the floor.
 */
function steerToTarget(inputs: PacingInputs, b: AbandonBudget): PacingDecision {
  const { currentCpm, abandonRate } = inputs;
  const toTarget = abandonsLeft(inputs.windows, b.target);
  const toLimit = abandonsLeft(inputs.windows, b.limit);
  const abandoning = (inputs.newAbandons ?? 0) > 0;
  const settled = inputs.settled !== false;
  const budget = `${toTarget.toFixed(1)} abandons to the target ${pct(b.target)}, ${toLimit.toFixed(1)} to the limit`;
  let cpm = currentCpm;
  let why = `holding: ${budget}`;
  if (abandoning && (toLimit < 1 || (toTarget < 0 && settled))) {
    cpm = Math.floor(currentCpm / 2);
    why = `abandoning with ${budget}: halved`;
  } else if (abandoning && toTarget < 1) {
    cpm = currentCpm - 1;
    why = `abandoning with ${budget}: one step down`;
  } else if (abandonRate === 0 && settled && (toTarget >= 0 || toLimit >= 1)) {
    cpm = currentCpm + 1;
    why = `no abandons over the realtime window, ${budget}: one step up`;
  }
  cpm = Math.min(SEED_RATES.high, Math.max(b.floorCpm, cpm));
  return { cpm, kind: kindOf(currentCpm, cpm), reason: why };
}

/** A cumulative sample of the campaign's statistics at time t. */
export interface AbandonSample {
  t: number;
  answered: number;
  abandoned: number;
}

/**
 * The abandon rate over the last `windowMs`: the change between the newest sample and the
 * newest one at or before the window's start (the campaign's start, zeros, when it is
 * younger than the window). Samples are in time order.
 */
export function windowRate(samples: readonly AbandonSample[], now: number, windowMs: number): WindowRate {
  const last = samples[samples.length - 1];
  if (!last) return { rate: 0, answered: 0, abandoned: 0 };
  let base: AbandonSample = { t: 0, answered: 0, abandoned: 0 };
  for (const s of samples) {
    if (s.t <= now - windowMs) base = s;
    else break;
  }
  const answered = Math.max(0, last.answered - base.answered);
  const abandoned = Math.max(0, last.abandoned - base.abandoned);
  return { rate: answered === 0 ? 0 : abandoned / answered, answered, abandoned };
}

export const DAY_MS = 86_400_000;

export function abandonWindows(samples: readonly AbandonSample[], now: number): PacingInputs['windows'] {
  return { h24: windowRate(samples, now, DAY_MS), d30: windowRate(samples, now, 30 * DAY_MS) };
}

/** A check's inputs from what it read: the realtime figures and the cumulative samples (this check's last). */
export function pacingInputs(o: {
  currentCpm: number;
  /** When the rate in force was set. */
  cpmSince: number;
  realtime: { answerRate: number; abandonRate: number };
  samples: readonly AbandonSample[];
  now: number;
  realtimeWindowMs: number;
}): PacingInputs {
  const last = o.samples.at(-1);
  const previous = o.samples.at(-2);
  return {
    currentCpm: o.currentCpm,
    answerRate: o.realtime.answerRate,
    abandonRate: o.realtime.abandonRate,
    windows: abandonWindows(o.samples, o.now),
    newAbandons: last ? Math.max(0, last.abandoned - (previous?.abandoned ?? 0)) : 0,
    settled: o.now - o.cpmSince >= o.realtimeWindowMs,
  };
}
