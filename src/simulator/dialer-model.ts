// The simulated dialer of one running campaign: calls placed at `callsPerMinute`, each
// answered by a live person with the scheduled probability, connected when an agent is free
// within `abandonThresholdS` of the answer (the TSR's 2 s) and abandoned otherwise; agents
// stay busy for the talk time (exponential) plus wrap-up. Pure and deterministic for a seed:
// the state is advanced lazily, in whole seconds, to the time of each read, so a benchmark on
// a stepped clock simulates hours in milliseconds.

export interface DialerSettings {
  agents: number;
  /** Answer probability over time since RUNNING: points interpolated linearly, flat past the ends. */
  answerSchedule: readonly { atMs: number; p: number }[];
  avgTalkS: number;
  wrapS: number;
  abandonThresholdS: number;
  realtimeWindowS: number;
  seed: number;
}

/** Counts of one simulated second (kept for the realtime window). */
interface SecondCounts {
  total: number;
  answered: number;
  abandoned: number;
}

export interface DialerState {
  readonly settings: DialerSettings;
  /** Simulated time reached (epoch ms, whole seconds after `startedAt`). */
  t: number;
  readonly startedAt: number;
  rng: number;
  /** Fractional calls carried to the next second. */
  carry: number;
  callsPerMinute: number;
  maxConcurrent: number;
  /** When each agent is next free (epoch ms). */
  agentFreeAt: number[];
  /** Per-second counts of the last realtimeWindowS seconds, oldest first. */
  window: SecondCounts[];
  totals: { totalCalls: number; answered: number; abandoned: number; talkS: number };
}

/** Longest stretch one read advances; beyond it the model jumps (a stopped clock never needs it). */
export const MAX_ADVANCE_S = 40 * 24 * 3600;

export function createDialer(settings: DialerSettings, startedAt: number, pacing: { callsPerMinute: number; maxConcurrent: number }): DialerState {
  return {
    settings,
    t: startedAt,
    startedAt,
    rng: settings.seed >>> 0 || 1,
    carry: 0,
    callsPerMinute: pacing.callsPerMinute,
    maxConcurrent: pacing.maxConcurrent,
    agentFreeAt: Array.from({ length: settings.agents }, () => startedAt),
    window: [],
    totals: { totalCalls: 0, answered: 0, abandoned: 0, talkS: 0 },
  };
}

// mulberry32: small, fast, and good enough for a call simulation.
function nextRandom(s: DialerState): number {
  s.rng = (s.rng + 0x6d2b79f5) >>> 0;
  let x = s.rng;
  x = Math.imul(x ^ (x >>> 15), x | 1);
  x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
}

export function answerProbability(schedule: DialerSettings['answerSchedule'], sinceStartMs: number): number {
  if (schedule.length === 0) return 0;
  const first = schedule[0]!;
  if (sinceStartMs <= first.atMs) return first.p;
  for (let i = 1; i < schedule.length; i++) {
    const b = schedule[i]!;
    if (sinceStartMs <= b.atMs) {
      const a = schedule[i - 1]!;
      const span = b.atMs - a.atMs;
      return span <= 0 ? b.p : a.p + ((b.p - a.p) * (sinceStartMs - a.atMs)) / span;
    }
  }
  return schedule[schedule.length - 1]!.p;
}

function busyAgents(s: DialerState, at: number): number {
  let n = 0;
  for (const f of s.agentFreeAt) if (f > at) n++;
  return n;
}

function placeCall(s: DialerState, at: number, counts: SecondCounts): void {
  const { settings } = s;
  counts.total++;
  s.totals.totalCalls++;
  if (nextRandom(s) >= answerProbability(settings.answerSchedule, at - s.startedAt)) return;
  counts.answered++;
  s.totals.answered++;
  // The agent who frees up first takes the call, if that is within the threshold.
  let best = -1;
  for (let i = 0; i < s.agentFreeAt.length; i++) if (best < 0 || s.agentFreeAt[i]! < s.agentFreeAt[best]!) best = i;
  const freeAt = best < 0 ? Infinity : s.agentFreeAt[best]!;
  if (freeAt > at + settings.abandonThresholdS * 1000) {
    counts.abandoned++;
    s.totals.abandoned++;
    return;
  }
  const talkS = -Math.log(1 - nextRandom(s)) * settings.avgTalkS;
  s.totals.talkS += talkS;
  s.agentFreeAt[best] = Math.max(at, freeAt) + (talkS + settings.wrapS) * 1000;
}

/** Advances the model to `now` (whole seconds); the pacing in force applies from `t` on. */
export function advanceDialer(s: DialerState, now: number): void {
  if (now - s.t > MAX_ADVANCE_S * 1000) s.t = now - MAX_ADVANCE_S * 1000;
  const keep = s.settings.realtimeWindowS;
  while (s.t + 1000 <= now) {
    const at = s.t;
    const counts: SecondCounts = { total: 0, answered: 0, abandoned: 0 };
    s.carry += s.callsPerMinute / 60;
    while (s.carry >= 1) {
      s.carry -= 1;
      // maxConcurrent caps calls in progress: a connected call holds a line until its agent is free.
      if (s.maxConcurrent > 0 && busyAgents(s, at) >= s.maxConcurrent) continue;
      placeCall(s, at + Math.floor(nextRandom(s) * 1000), counts);
    }
    s.window.push(counts);
    if (s.window.length > keep) s.window.shift();
    s.t += 1000;
  }
}

export function setPacing(s: DialerState, now: number, pacing: { callsPerMinute?: number | undefined; maxConcurrent?: number | undefined }): void {
  advanceDialer(s, now);
  if (pacing.callsPerMinute !== undefined) s.callsPerMinute = pacing.callsPerMinute;
  if (pacing.maxConcurrent !== undefined) s.maxConcurrent = pacing.maxConcurrent;
}

export interface RealtimeFigures {
  answerRate: number;
  abandonRate: number;
  activeCalls: number;
  totalCalls: number;
}

/** The realtime view over the last realtimeWindowS seconds. */
export function realtimeOf(s: DialerState): RealtimeFigures {
  let total = 0;
  let answered = 0;
  let abandoned = 0;
  for (const c of s.window) {
    total += c.total;
    answered += c.answered;
    abandoned += c.abandoned;
  }
  return {
    answerRate: total === 0 ? 0 : answered / total,
    abandonRate: answered === 0 ? 0 : abandoned / answered,
    activeCalls: busyAgents(s, s.t),
    totalCalls: total,
  };
}

export interface StatisticsFigures {
  totalCalls: number;
  answered: number;
  abandoned: number;
  avgTalkTime: number;
  connectRate: number;
}

/** Cumulative figures since RUNNING; `answered` counts live answers (abandoned ones too). */
export function statisticsOf(s: DialerState): StatisticsFigures {
  const t = s.totals;
  const connected = t.answered - t.abandoned;
  return {
    totalCalls: t.totalCalls,
    answered: t.answered,
    abandoned: t.abandoned,
    avgTalkTime: connected === 0 ? 0 : Math.round((t.talkS / connected) * 10) / 10,
    connectRate: t.totalCalls === 0 ? 0 : t.answered / t.totalCalls,
  };
}
