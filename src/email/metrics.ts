// The email domain's Prometheus series (cxone_fleet_email_*): sender health per channel,
// get-or-create on the process's registry; the module list registers them at start.
import type { Registry } from 'prom-client';
import { counterOnce, gaugeOnce } from '../platform/metric-once.ts';

export function emailMetrics(registry: Registry) {
  const perChannel = (name: string, help: string) => gaugeOnce(registry, { name, help, labelNames: ['channel'] as const });
  return {
    bounceRate: perChannel('cxone_fleet_email_bounce_rate', 'Bounced / sent over the analytics window, per channel'),
    complaintRate: perChannel('cxone_fleet_email_complaint_rate', 'Complaints / sent over the analytics window, per channel'),
    sent: perChannel('cxone_fleet_email_sent', 'Messages sent over the analytics window, per channel'),
    paused: perChannel('cxone_fleet_email_channel_paused', '1 while the fleet holds sends through a channel'),
    crossings: counterOnce(registry, {
      name: 'cxone_fleet_email_health_crossings_total',
      help: 'Sender health entering warn or stop, per channel',
      labelNames: ['channel', 'level'] as const,
    }),
  };
}

export type EmailMetrics = ReturnType<typeof emailMetrics>;
