// Bounce classification and the suppression / sender-health policy. Pure: the webhook
// worker counts events per recipient and asks here what to do.
//
// Unknown bounce types are classified soft on purpose: a soft bounce needs several
// repeats inside a window before it suppresses, while a wrong "hard" would drop a good
// address on its first hiccup. Mailbox providers judge senders on bounce and complaint
// rates, which is why senderHealth stops a channel well before they start blocking it.

export type BounceClass = 'hard' | 'soft' | 'complaint';

/**
 * Names seen from CXone and common ESPs, normalised (lower case, no separators), so
 * 'HardBounce', 'hard_bounce' and 'hard-bounce' are the same entry.
 */
const BOUNCE_NAMES: ReadonlyMap<string, BounceClass> = new Map(Object.entries({
  hard: 'hard',
  hardbounce: 'hard',
  permanent: 'hard',
  permanentbounce: 'hard',
  invalidrecipient: 'hard',
  invalidaddress: 'hard',
  nosuchuser: 'hard',
  unknownuser: 'hard',
  mailboxnotfound: 'hard',
  doesnotexist: 'hard',
  soft: 'soft',
  softbounce: 'soft',
  transient: 'soft',
  transientbounce: 'soft',
  temporary: 'soft',
  mailboxfull: 'soft',
  quotaexceeded: 'soft',
  deferred: 'soft',
  throttled: 'soft',
  complaint: 'complaint',
  spam: 'complaint',
  spamcomplaint: 'complaint',
  abuse: 'complaint',
  abusereport: 'complaint',
} as const));

/** SMTP reply codes: 5xx / 5.x.x are permanent failures, 4xx / 4.x.x transient. */
const SMTP_CODE = /^([45])(?:\d\d|\.\d{1,3}\.\d{1,3})$/;

export function classifyBounce(rawType: string): BounceClass {
  if (typeof rawType !== 'string') return 'soft';
  const trimmed = rawType.trim();
  const code = SMTP_CODE.exec(trimmed);
  if (code) return code[1] === '5' ? 'hard' : 'soft';
  // A Map, not an object lookup: 'constructor' must not find Object.prototype.constructor.
  return BOUNCE_NAMES.get(trimmed.toLowerCase().replace(/[\s_.-]+/g, '')) ?? 'soft';
}

export interface BounceCounts {
  hard: number;
  soft: number;
  complaint: number;
}

/**
 * Suppress after one hard bounce or one complaint (sending again after either hurts the
 * sender's reputation), or after three soft bounces. `softWindowDays` is for the caller:
 * the soft count it passes must only cover that window.
 */
export const DEFAULT_BOUNCE_THRESHOLDS = { hard: 1, complaint: 1, soft: 3, softWindowDays: 7 } as const;

const reached = (count: number, threshold: number): boolean =>
  // A threshold below 1 (or not a number) disables that class instead of suppressing everyone.
  Number.isFinite(threshold) && threshold >= 1 && Number.isFinite(count) && count >= threshold;

/** True when any class has reached its threshold (thresholds are inclusive). */
export function shouldSuppress(counts: BounceCounts, thresholds: BounceCounts): boolean {
  return (
    reached(counts.hard, thresholds.hard) ||
    reached(counts.complaint, thresholds.complaint) ||
    reached(counts.soft, thresholds.soft)
  );
}

export interface SenderMetrics {
  sent: number;
  delivered: number;
  bounced: number;
  complaints: number;
}

export interface SenderHealthThresholds {
  bounceWarn: number;
  bounceStop: number;
  complaintWarn: number;
  complaintStop: number;
}

export type SenderHealthLevel = 'ok' | 'warn' | 'stop';

export interface SenderHealth {
  bounceRate: number;
  complaintRate: number;
  level: SenderHealthLevel;
  reasons: string[];
}

/** 5% / 10% bounces, 0.1% / 0.5% complaints: roughly where mailbox providers act. */
export const DEFAULT_SENDER_HEALTH_THRESHOLDS = {
  bounceWarn: 0.05,
  bounceStop: 0.1,
  complaintWarn: 0.001,
  complaintStop: 0.005,
} as const satisfies SenderHealthThresholds;

/** Float division is not exact (7/100 vs 0.07): compare with a tolerance far below any real rate step. */
const EPSILON = 1e-9;
const atLeast = (rate: number, threshold: number): boolean => rate >= threshold - EPSILON;
const pct = (rate: number): string => `${(rate * 100).toFixed(2)}%`;
const count = (n: number): number => (Number.isFinite(n) && n > 0 ? n : 0);

function judge(name: string, rate: number, warn: number, stop: number): { level: SenderHealthLevel; reason?: string } {
  if (atLeast(rate, stop)) return { level: 'stop', reason: `${name} rate ${pct(rate)} is at or above the stop threshold ${pct(stop)}` };
  if (atLeast(rate, warn)) return { level: 'warn', reason: `${name} rate ${pct(rate)} is at or above the warning threshold ${pct(warn)}` };
  return { level: 'ok' };
}

const RANK = { ok: 0, warn: 1, stop: 2 } as const satisfies Record<SenderHealthLevel, number>;

/** Rates over messages sent; thresholds are inclusive. Nothing sent is healthy. */
export function senderHealth(metrics: SenderMetrics, thresholds: SenderHealthThresholds = DEFAULT_SENDER_HEALTH_THRESHOLDS): SenderHealth {
  const sent = count(metrics.sent);
  if (sent === 0) return { bounceRate: 0, complaintRate: 0, level: 'ok', reasons: [] };
  const bounceRate = count(metrics.bounced) / sent;
  const complaintRate = count(metrics.complaints) / sent;
  const verdicts = [
    judge('bounce', bounceRate, thresholds.bounceWarn, thresholds.bounceStop),
    judge('complaint', complaintRate, thresholds.complaintWarn, thresholds.complaintStop),
  ];
  const level = verdicts.reduce<SenderHealthLevel>((worst, v) => (RANK[v.level] > RANK[worst] ? v.level : worst), 'ok');
  const reasons = verdicts.flatMap((v) => (v.reason === undefined ? [] : [v.reason]));
  return { bounceRate, complaintRate, level, reasons };
}
