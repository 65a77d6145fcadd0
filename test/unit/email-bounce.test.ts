import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BOUNCE_THRESHOLDS,
  DEFAULT_SENDER_HEALTH_THRESHOLDS,
  classifyBounce,
  senderHealth,
  shouldSuppress,
} from '../../src/domain/email/bounce.ts';

describe('classifyBounce', () => {
  it.each([
    ['hard', 'hard'],
    ['permanent', 'hard'],
    ['HardBounce', 'hard'],
    ['invalid_recipient', 'hard'],
    ['hard-bounce', 'hard'],
    ['  PERMANENT ', 'hard'],
    ['no_such_user', 'hard'],
    ['soft', 'soft'],
    ['transient', 'soft'],
    ['mailbox_full', 'soft'],
    ['SoftBounce', 'soft'],
    ['Mailbox Full', 'soft'],
    ['complaint', 'complaint'],
    ['spam', 'complaint'],
    ['abuse', 'complaint'],
    ['SpamComplaint', 'complaint'],
    ['5.1.1', 'hard'],
    ['550', 'hard'],
    ['4.2.2', 'soft'],
    ['421', 'soft'],
  ] as const)('%s → %s', (raw, expected) => {
    expect(classifyBounce(raw)).toBe(expected);
  });

  it('classifies unknown, empty and non-string types as soft (conservative)', () => {
    expect(classifyBounce('weird_new_type')).toBe('soft');
    expect(classifyBounce('')).toBe('soft');
    expect(classifyBounce('6.0.0')).toBe('soft');
    expect(classifyBounce('constructor')).toBe('soft');
    expect(classifyBounce('__proto__')).toBe('soft');
    expect(classifyBounce(undefined as unknown as string)).toBe('soft');
  });
});

describe('shouldSuppress', () => {
  const t = DEFAULT_BOUNCE_THRESHOLDS;

  it('has the documented defaults', () => {
    expect(DEFAULT_BOUNCE_THRESHOLDS).toEqual({ hard: 1, complaint: 1, soft: 3, softWindowDays: 7 });
  });

  it('suppresses on the first hard bounce or complaint', () => {
    expect(shouldSuppress({ hard: 1, soft: 0, complaint: 0 }, t)).toBe(true);
    expect(shouldSuppress({ hard: 0, soft: 0, complaint: 1 }, t)).toBe(true);
  });

  it('suppresses soft bounces only at the threshold (inclusive)', () => {
    expect(shouldSuppress({ hard: 0, soft: 2, complaint: 0 }, t)).toBe(false);
    expect(shouldSuppress({ hard: 0, soft: 3, complaint: 0 }, t)).toBe(true);
    expect(shouldSuppress({ hard: 0, soft: 4, complaint: 0 }, t)).toBe(true);
  });

  it('does not suppress a clean record', () => {
    expect(shouldSuppress({ hard: 0, soft: 0, complaint: 0 }, t)).toBe(false);
  });

  it('honours custom thresholds, and a threshold below 1 disables that class', () => {
    const custom = { hard: 2, soft: 5, complaint: 0 };
    expect(shouldSuppress({ hard: 1, soft: 4, complaint: 10 }, custom)).toBe(false);
    expect(shouldSuppress({ hard: 2, soft: 0, complaint: 0 }, custom)).toBe(true);
    expect(shouldSuppress({ hard: 0, soft: 5, complaint: 0 }, custom)).toBe(true);
    expect(shouldSuppress({ hard: Number.NaN, soft: 0, complaint: 0 }, t)).toBe(false);
    expect(shouldSuppress({ hard: 5, soft: 0, complaint: 0 }, { hard: Number.NaN, soft: 3, complaint: 1 })).toBe(false);
  });
});

describe('senderHealth', () => {
  const at = (bounced: number, complaints: number, sent = 10_000) => senderHealth({ sent, delivered: sent - bounced, bounced, complaints });

  it('is ok when nothing was sent', () => {
    expect(senderHealth({ sent: 0, delivered: 0, bounced: 5, complaints: 5 })).toEqual({ bounceRate: 0, complaintRate: 0, level: 'ok', reasons: [] });
  });

  it('computes rates over sent', () => {
    expect(at(250, 5)).toMatchObject({ bounceRate: 0.025, complaintRate: 0.0005, level: 'ok', reasons: [] });
  });

  it.each([
    [499, 0, 'ok'],
    [500, 0, 'warn'],
    [999, 0, 'warn'],
    [1000, 0, 'stop'],
    [0, 9, 'ok'],
    [0, 10, 'warn'],
    [0, 49, 'warn'],
    [0, 50, 'stop'],
    [600, 50, 'stop'],
    [1200, 10, 'stop'],
  ] as const)('bounced %i and complaints %i of 10000 → %s', (bounced, complaints, level) => {
    expect(at(bounced, complaints).level).toBe(level);
  });

  it('treats thresholds as inclusive despite float division (7/100 vs 0.07)', () => {
    const r = senderHealth({ sent: 100, delivered: 93, bounced: 7, complaints: 0 }, { ...DEFAULT_SENDER_HEALTH_THRESHOLDS, bounceWarn: 0.07 });
    expect(r.level).toBe('warn');
  });

  it('explains each threshold crossed', () => {
    const r = at(600, 50);
    expect(r.reasons).toEqual([
      'bounce rate 6.00% is at or above the warning threshold 5.00%',
      'complaint rate 0.50% is at or above the stop threshold 0.50%',
    ]);
  });

  it('uses custom thresholds and ignores negative or non-numeric counts', () => {
    expect(senderHealth({ sent: 100, delivered: 98, bounced: 2, complaints: 0 }, { bounceWarn: 0.01, bounceStop: 0.02, complaintWarn: 1, complaintStop: 1 }).level).toBe('stop');
    expect(senderHealth({ sent: 100, delivered: 100, bounced: -5, complaints: Number.NaN })).toMatchObject({ bounceRate: 0, complaintRate: 0, level: 'ok' });
    expect(senderHealth({ sent: -1, delivered: 0, bounced: 1, complaints: 0 }).level).toBe('ok');
  });
});
