// The preview domain's Prometheus series (cxone_fleet_preview_*), get-or-create on the
// process's registry; the module list registers them at start so /metrics shows them at once.
import type { Registry } from 'prom-client';
import { counterOnce, histogramOnce } from '../platform/metric-once.ts';

export function previewMetrics(registry: Registry) {
  return {
    activations: counterOnce(registry, {
      name: 'cxone_fleet_preview_activations_total',
      help: 'Preview activations by result (active, failed)',
      labelNames: ['result'] as const,
    }),
    activationSeconds: histogramOnce(registry, {
      name: 'cxone_fleet_preview_activation_seconds',
      help: 'Preview activation time, from the first step to the campaign active',
      buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300],
    }),
    preconditionRetries: counterOnce(registry, { name: 'cxone_fleet_preview_precondition_retries_total', help: 'Preview PUTs answered 412 and retried' }),
    contacts: counterOnce(registry, {
      name: 'cxone_fleet_preview_contacts_total',
      help: 'Contacts screened by preview activations, by outcome (eligible, filtered, suppressed, dnc, invalid_phone, deferred)',
      labelNames: ['outcome'] as const,
    }),
    tierRefusals: counterOnce(registry, { name: 'cxone_fleet_preview_tier_refusals_total', help: 'Preview activations refused by the tier limit' }),
    webhookLag: histogramOnce(registry, {
      name: 'cxone_fleet_preview_webhook_lag_seconds',
      help: 'From the activation PUT answered to its campaign.preview.activated event confirmed',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    }),
  };
}

export type PreviewMetrics = ReturnType<typeof previewMetrics>;
