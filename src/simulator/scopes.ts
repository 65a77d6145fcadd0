// Every scope a simulated route checks (cxone-api.md names more; a domain adds its scopes
// with the routes that need them). The default demo client holds them all so the demo and
// benchmarks never meet a 403 unless a test builds a client that lacks one on purpose.
export const SCOPES = {
  smsSend: 'message:sms:send',
  smsRead: 'message:sms:read',
  emailChannelsWrite: 'email:channels:write',
  emailChannelsRead: 'email:channels:read',
  emailRulesWrite: 'email:rules:write',
  analyticsEmailRead: 'analytics:email:read',
  auditlogsRead: 'auditlogs:read',
  flowWrite: 'flow:write',
  flowRead: 'flow:read',
  eventsWrite: 'events:write',
  outboundRead: 'outbound:read',
  campaignRead: 'campaign:read',
  campaignWrite: 'campaign:write',
  contactlistRead: 'contactlist:read',
  suppressionsRead: 'suppressions:read',
  webhookWrite: 'webhook:write',
  statisticsRead: 'statistics:read',
} as const;

export type Scope = (typeof SCOPES)[keyof typeof SCOPES];

export const ALL_SCOPES: readonly Scope[] = Object.values(SCOPES);
