// Every Redis key and job id of the preview domain, in one place.
import { fleetKey } from '../redis.ts';

export function previewKeys(prefix: string) {
  const k = (...parts: string[]) => fleetKey(prefix, 'preview', ...parts);
  return {
    /** JSON: a checked spec (no secrets in it). */
    spec: (specKey: string) => k('spec', specKey),
    /** Hash: step, status, checkpoint (next contact page), counts, version, latency, confirmation. */
    activation: (id: string) => k('activation', id),
    /** Hash: contact page number → that page's verdicts (JSON, activation-state.ts encodePage). */
    pages: (id: string) => k('activation', id, 'pages'),
    /** Set: CXone suppressions of this run as E.164 (short-lived). */
    suppressed: (id: string) => k('activation', id, 'suppressed'),
    /** Sorted set: activation id → created at, for listing. */
    activations: () => k('activations'),
    /** Hash: campaign id → its latest activation id. */
    byCampaign: () => k('by-campaign'),
    /** Sorted set: campaign id → lease expiry; in-flight and just-activated previews (the tier semaphore). */
    slots: (accountId: string) => k('slots', accountId),
    /** Set: the fleet's own do-not-call numbers (E.164). */
    dnc: (accountId: string) => k('dnc', accountId),
    /** Hash: E.164 → JSON {reason, source, addedAt}. */
    dncInfo: (accountId: string) => k('dnc-info', accountId),
    /** Hash: webhook name → CXone id, registered once per account. */
    webhooks: (accountId: string) => k('webhooks', accountId),
  };
}

export type PreviewKeys = ReturnType<typeof previewKeys>;

export const previewJobIds = {
  activation: (activationId: string) => `preview-activation.${activationId}`,
} as const;
