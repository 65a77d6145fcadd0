// Every scope cxone-api.md names. The default demo client holds them all so the demo and
// benchmarks never meet a 403 unless a test builds a client that lacks one on purpose.
export const SCOPES = {
  smsSend: 'message:sms:send',
  smsRead: 'message:sms:read',
  emailChannelsWrite: 'email:channels:write',
  emailChannelsRead: 'email:channels:read',
  emailRulesWrite: 'email:rules:write',
  analyticsEmailRead: 'analytics:email:read',
  auditlogsRead: 'auditlogs:read',
  templatesEmailRead: 'templates:email:read',
  campaignRead: 'campaign:read',
  campaignWrite: 'campaign:write',
  contactlistRead: 'contactlist:read',
  suppressionsRead: 'suppressions:read',
  webhookWrite: 'webhook:write',
  outboundRead: 'outbound:read',
  dncRead: 'dnc:read',
  statisticsRead: 'statistics:read',
  flowWrite: 'flow:write',
  flowRead: 'flow:read',
  flowValidate: 'flow:validate',
  eventsWrite: 'events:write',
} as const;

export type Scope = (typeof SCOPES)[keyof typeof SCOPES];

export const ALL_SCOPES: readonly Scope[] = Object.values(SCOPES);
