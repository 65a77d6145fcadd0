// Fleet-wide email thresholds, kept in Redis so every worker applies the same ones and an
// admin can change them without a redeploy (`email settings --set bounce.soft=5`).
// Anything unset falls back to the domain defaults.
import { z } from 'zod';
import type { RedisConnection } from '../redis.ts';
import { DEFAULT_BOUNCE_THRESHOLDS, DEFAULT_SENDER_HEALTH_THRESHOLDS } from '../domain/email/bounce.ts';
import { emailKeys } from './keys.ts';

export const EMAIL_SETTINGS_DEFAULTS = {
  'bounce.hard': DEFAULT_BOUNCE_THRESHOLDS.hard,
  'bounce.soft': DEFAULT_BOUNCE_THRESHOLDS.soft,
  'bounce.complaint': DEFAULT_BOUNCE_THRESHOLDS.complaint,
  'bounce.softWindowDays': DEFAULT_BOUNCE_THRESHOLDS.softWindowDays,
  'suppression.ttlDays': 365,
  'health.bounceWarn': DEFAULT_SENDER_HEALTH_THRESHOLDS.bounceWarn,
  'health.bounceStop': DEFAULT_SENDER_HEALTH_THRESHOLDS.bounceStop,
  'health.complaintWarn': DEFAULT_SENDER_HEALTH_THRESHOLDS.complaintWarn,
  'health.complaintStop': DEFAULT_SENDER_HEALTH_THRESHOLDS.complaintStop,
} as const;
export type EmailSettingName = keyof typeof EMAIL_SETTINGS_DEFAULTS;
export const EMAIL_SETTING_NAMES = Object.keys(EMAIL_SETTINGS_DEFAULTS) as EmailSettingName[];

const value = z.coerce.number().finite().min(0).max(1_000_000);

export interface EmailSettings {
  bounce: { hard: number; soft: number; complaint: number; softWindowDays: number };
  suppressionTtlDays: number;
  health: { bounceWarn: number; bounceStop: number; complaintWarn: number; complaintStop: number };
}

export function createEmailSettings(deps: { redis: RedisConnection; prefix: string }) {
  const key = emailKeys(deps.prefix).settings();
  return {
    async get(): Promise<EmailSettings> {
      const raw = await deps.redis.hgetall(key);
      const v = (name: EmailSettingName): number => {
        const parsed = value.safeParse(raw[name]);
        return raw[name] !== undefined && parsed.success ? parsed.data : EMAIL_SETTINGS_DEFAULTS[name];
      };
      return {
        bounce: { hard: v('bounce.hard'), soft: v('bounce.soft'), complaint: v('bounce.complaint'), softWindowDays: v('bounce.softWindowDays') },
        suppressionTtlDays: v('suppression.ttlDays'),
        health: {
          bounceWarn: v('health.bounceWarn'),
          bounceStop: v('health.bounceStop'),
          complaintWarn: v('health.complaintWarn'),
          complaintStop: v('health.complaintStop'),
        },
      };
    },
    /** Validates every pair first, so a bad one changes nothing. */
    async set(pairs: Partial<Record<string, string | number>>): Promise<void> {
      const fields: Record<string, string> = {};
      for (const [name, raw] of Object.entries(pairs)) {
        if (!(name in EMAIL_SETTINGS_DEFAULTS)) throw new Error(`unknown setting ${name}; known: ${EMAIL_SETTING_NAMES.join(', ')}`);
        const parsed = value.safeParse(raw);
        if (!parsed.success) throw new Error(`${name}: must be a number >= 0`);
        fields[name] = String(parsed.data);
      }
      if (Object.keys(fields).length > 0) await deps.redis.hset(key, fields);
    },
    async reset(names: string[]): Promise<void> {
      if (names.length > 0) await deps.redis.hdel(key, ...names);
    },
  };
}
export type EmailSettingsStore = ReturnType<typeof createEmailSettings>;
