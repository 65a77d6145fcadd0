// Every Redis key and BullMQ job id of the email area, in one place. Channel names are
// free text ("Support inbox"), so keys and job ids use a short hash of the name: BullMQ job
// ids must not contain ':' and names may contain anything.
import { createHash } from 'node:crypto';
import { fleetKey } from '../redis.ts';

/** 16 hex characters of sha256(name): stable across processes, safe in keys and job ids. */
export function channelRef(name: string): string {
  return createHash('sha256').update(name).digest('hex').slice(0, 16);
}

export function emailKeys(prefix: string) {
  const k = (...parts: string[]) => fleetKey(prefix, 'email', ...parts);
  return {
    /** JSON: the redacted spec plus its secret references. */
    spec: (specKey: string) => k('spec', specKey),
    /** Hash: provision step states of one channel. */
    channel: (name: string) => k('channel', channelRef(name)),
    /** Hash: channel name → channelRef, for listing. */
    channels: () => k('channels'),
    /** Processed marker of one bounce event (idempotency). */
    bounceSeen: (eventId: string) => k('bounce', 'seen', eventId),
    /** Hash: hard / soft / complaint totals and last raw type of one address. */
    bounceCounts: (address: string) => k('bounce', 'counts', address),
    /** Sorted set: soft bounces of one address (member eventId, score event time). */
    bounceSoft: (address: string) => k('bounce', 'soft', address),
    /** Sorted set: suppressed address → expiresAt (epoch ms). */
    suppressions: () => k('suppressions'),
    /** Hash: address → JSON reason of its suppression. */
    suppressionInfo: () => k('suppression-info'),
    /** Hash: figures of the last sender-health check of one channel. */
    health: (channelId: string) => k('health', channelId),
    /** Hash: channel id → JSON reason; present = paused. */
    paused: () => k('paused'),
    /** Hash: fleet-wide email settings (thresholds), see settings.ts. */
    settings: () => k('settings'),
  };
}

export type EmailKeys = ReturnType<typeof emailKeys>;

/** Job ids and deduplication ids. */
export const emailJobIds = {
  /** One provision job at a time per channel and spec: a request while one runs joins it. */
  provisionDedup: (name: string, specKey: string) => `email-provision.${channelRef(name)}.${specKey}`,
  healthScheduler: (channelId: string) => `email-health.${channelId.replace(/:/g, '_')}`,
} as const;

/** Addresses in logs and audit records: first character of the local part and the domain. */
export function maskAddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${address.slice(0, 1)}***${address.slice(at)}`;
}

export function normalizeAddress(address: string): string {
  return address.trim().toLowerCase();
}
