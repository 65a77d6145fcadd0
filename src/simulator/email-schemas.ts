// Request bodies the email module accepts. Only shape is checked here: a DKIM key that does
// not parse or a wrong SMTP password is accepted (201) and then never activates, which is
// exactly the CXone behaviour clients must learn to detect.
import { z } from 'zod';
import { EMAIL_METRICS } from './email-data.ts';

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const hostname = z
  .string()
  .min(1)
  .max(253)
  .regex(new RegExp(`^${LABEL}(?:\\.${LABEL})*$`), 'a DNS name');

export const channelCreateSchema = z.object({
  name: z.string().trim().min(1).max(255),
  channelType: z.literal('EMAIL'),
  fromAddress: z.email(),
  replyToAddress: z.email(),
  smtpConfig: z.object({
    host: hostname,
    port: z.number().int().min(1).max(65_535),
    username: z.string().min(1),
    password: z.string().min(1),
    useTLS: z.boolean(),
  }),
  dkimConfig: z.object({
    selector: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62})$/, 'a DKIM selector (DNS label)'),
    privateKey: z.string().min(1).max(64 * 1024),
    domain: hostname,
  }),
  enabled: z.boolean(),
});
export type ChannelCreateBody = z.output<typeof channelCreateSchema>;

export const ruleCreateSchema = z.object({
  name: z.string().trim().min(1).max(255),
  enabled: z.boolean(),
  priority: z.number().int().min(0).max(1_000_000),
  conditions: z
    .array(
      z.object({
        field: z.literal('from_domain'),
        operator: z.enum(['equals', 'contains', 'ends_with']),
        value: z.string().min(1).max(253),
      }),
    )
    .min(1)
    .max(100),
  action: z.object({ type: z.literal('route_to_queue'), target: z.string().min(1).max(255) }),
});
export type RuleCreateBody = z.output<typeof ruleCreateSchema>;

export const analyticsBodySchema = z.object({
  type: z.literal('summary'),
  dateRange: z
    .union([z.string().min(1), z.object({ start: z.string().min(1), end: z.string().min(1) })])
    .default('last30Days'),
  metrics: z.array(z.enum(EMAIL_METRICS)).min(1).default([...EMAIL_METRICS]),
  pageSize: z.number().int().min(1).max(1000).default(100),
  pageNumber: z.number().int().min(1).default(1),
});

export const bounceInputSchema = z
  .object({
    channelId: z.string().min(1),
    messageId: z.string().min(1),
    recipient: z.string().min(1),
    bounceType: z.string().min(1),
    timestamp: z.string().min(1).optional(),
    eventId: z.string().min(1).optional(),
    /** Deliver here instead of the configured webhooks url. */
    url: z.url({ protocol: /^https?$/ }).optional(),
  })
  .strict();
export type BounceInput = z.input<typeof bounceInputSchema>;

export interface BounceEvent {
  eventId: string;
  channelId: string;
  messageId: string;
  recipient: string;
  bounceType: string;
  timestamp: string;
}
