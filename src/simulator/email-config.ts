// Runtime knobs of the email module. They live in the shared config store (configure({email})
// or POST /_sim/config) so tests can flip activation behaviour, force bounce rates and add
// audit volume while the simulator runs.
import { z } from 'zod';

export const ActivationMode = {
  /** PENDING for `pendingPolls` GETs, then ACTIVE. */
  Polls: 'polls',
  /** PENDING forever, as CXone does with bad SMTP credentials or a bad DKIM key. */
  Never: 'never',
  /** PENDING for `pendingPolls` GETs, then FAILED with a lastError. */
  Fail: 'fail',
} as const;
export type ActivationMode = (typeof ActivationMode)[keyof typeof ActivationMode];

export interface EmailActivationConfig {
  /** Mode for channels with good credentials. Default 'polls'. */
  mode?: ActivationMode;
  /** Mode for channels whose password is 'wrong' or whose DKIM key does not parse. Default 'never'. */
  onBadCredentials?: 'never' | 'fail';
  /** GETs of a channel answered PENDING before it changes state. Default 3. */
  pendingPolls?: number;
}

export interface EmailMetricTotals {
  sent: number;
  delivered: number;
  bounced: number;
  complaints: number;
  /** Rows (days) the totals are spread over, exactly. Default: the dateRange's days. */
  days?: number;
}

export interface EmailConfig {
  activation?: EmailActivationConfig;
  /** Analytics totals keyed by channel id or channel name. */
  metrics?: Record<string, EmailMetricTotals>;
  /** Synthetic audit records added to each channel, so clients can page across many pages. */
  auditRecords?: number;
}

export const EMAIL_DEFAULTS = {
  mode: ActivationMode.Polls,
  onBadCredentials: ActivationMode.Never,
  pendingPolls: 3,
  auditRecords: 0,
} as const;

const count = z.number().int().min(0).max(1_000_000_000);

export const emailConfigSchema = z
  .object({
    activation: z
      .object({
        mode: z.enum([ActivationMode.Polls, ActivationMode.Never, ActivationMode.Fail]).optional(),
        onBadCredentials: z.enum([ActivationMode.Never, ActivationMode.Fail]).optional(),
        pendingPolls: z.number().int().min(0).max(1_000_000).optional(),
      })
      .strict()
      .optional(),
    metrics: z
      .record(
        z.string().min(1),
        z
          .object({
            sent: count,
            delivered: count,
            bounced: count,
            complaints: count,
            days: z.number().int().min(1).max(3660).optional(),
          })
          .strict(),
      )
      .optional(),
    // Bounded: synthetic records are built per query, per channel.
    auditRecords: z.number().int().min(0).max(100_000).optional(),
  })
  .strict();

/** Sub-keys present in the patch replace the same sub-keys; the others are kept. */
export function mergeEmailConfig(
  current: EmailConfig | null | undefined,
  patch: EmailConfig | null,
): EmailConfig | null {
  if (patch === null) return null;
  return { ...current, ...patch };
}
