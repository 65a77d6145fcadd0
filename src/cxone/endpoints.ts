// Every CXone path the fleet uses, in one map. The seeds disagree on prefixes and the real
// platform differs again, so a deployment overrides entries with CXONE_ENDPOINTS (JSON:
// {"smsSend": {"path": "/sms/v1/send"}}; null: this account has no such endpoint) instead
// of changing code. Nothing else spells a URL.
import { z } from 'zod';
import { ValidationError, zodIssuesToFields } from '../errors.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Endpoint {
  method: HttpMethod;
  /** Path template; `{name}` segments are filled from params and URL-encoded. */
  path: string;
  /** The account's CXone has no such endpoint (override `null`): callers skip what needs it. */
  disabled?: boolean;
}

export const DEFAULT_ENDPOINTS = {
  token: { method: 'POST', path: '/oauth/token' },
  smsSend: { method: 'POST', path: '/api/v2/message/sms/send' },
  // Reconciliation: the status of a sent message, and a send found by its idempotency key
  // (the simulator serves both; an account whose CXone lacks one sets it to null).
  smsStatus: { method: 'GET', path: '/api/v2/message/sms/{id}' },
  smsLookup: { method: 'GET', path: '/api/v2/message/sms' },

  emailChannelCreate: { method: 'POST', path: '/api/v2/channels/email' },
  emailChannelList: { method: 'GET', path: '/api/v2/channels/email' },
  emailChannelGet: { method: 'GET', path: '/api/v2/channels/email/{id}' },
  emailRuleCreate: { method: 'POST', path: '/api/v2/channels/email/{id}/rules' },
  emailRuleList: { method: 'GET', path: '/api/v2/channels/email/{id}/rules' },
  emailAnalytics: { method: 'POST', path: '/api/v2/analytics/email' },
  auditLogs: { method: 'GET', path: '/api/v2/auditlogs' },

  // The flows simulator's (src/simulator/flows.ts); the fleet's flow publish comes with issue 18.
  flowCreate: { method: 'POST', path: '/api/flows' },
  jobGet: { method: 'GET', path: '/api/jobs/{id}' },
  eventSubscriptionCreate: { method: 'POST', path: '/api/events/subscriptions' },

  // Preview campaigns (the seed's REST v2 outbound paths; real CXone has none of them, see cxone-real.md).
  outboundCampaignList: { method: 'GET', path: '/api/v2/outbound/campaigns' },
  outboundCampaignGet: { method: 'GET', path: '/api/v2/outbound/campaigns/{id}' },
  outboundCampaignUpdate: { method: 'PUT', path: '/api/v2/outbound/campaigns/{id}' },
  outboundContacts: { method: 'GET', path: '/api/v2/outbound/contactlists/{id}/contacts' },
  outboundSuppressions: { method: 'GET', path: '/api/v2/outbound/suppressions' },
  webhookCreate: { method: 'POST', path: '/api/v2/webhooks' },
  // Campaign launch and pacing (seed campaign-launch.txt; campaignStop is an extension).
  contactListGet: { method: 'GET', path: '/api/contactlists/{id}' },
  campaignCreate: { method: 'POST', path: '/api/campaigns' },
  campaignStart: { method: 'POST', path: '/api/campaigns/{id}/start' },
  campaignGet: { method: 'GET', path: '/api/campaigns/{id}' },
  campaignUpdate: { method: 'PATCH', path: '/api/campaigns/{id}' },
  campaignRealtime: { method: 'GET', path: '/api/campaigns/{id}/realtime' },
  campaignStatistics: { method: 'GET', path: '/api/campaigns/{id}/statistics' },
  campaignStop: { method: 'POST', path: '/api/campaigns/{id}/stop' },
} as const satisfies Record<string, Endpoint>;

export type EndpointName = keyof typeof DEFAULT_ENDPOINTS;
export type EndpointMap = Record<EndpointName, Endpoint>;

/** CXONE_ENDPOINTS, and an accounts file's `endpoints`: overrides by endpoint name (null: the account lacks it). */
export const overrideSchema = z.record(
  z.string(),
  z
    .object({
      method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).optional(),
      path: z.string().regex(/^\//, 'a path starting with /').optional(),
    })
    .strict()
    .nullable(),
);

/** Whether the account's CXone has this endpoint (not overridden with null). */
export function hasEndpoint(map: EndpointMap, name: EndpointName): boolean {
  return !map[name].disabled;
}

/** Merges overrides (JSON text) into the defaults; unknown endpoint names are an error. */
export function resolveEndpoints(overridesJson?: string): EndpointMap {
  const map: EndpointMap = { ...DEFAULT_ENDPOINTS };
  if (!overridesJson) return map;
  let raw: unknown;
  try {
    raw = JSON.parse(overridesJson);
  } catch (err) {
    throw new ValidationError('CXONE_ENDPOINTS', [{ path: '', message: `not JSON: ${(err as Error).message}` }]);
  }
  const parsed = overrideSchema.safeParse(raw);
  if (!parsed.success) throw new ValidationError('CXONE_ENDPOINTS', zodIssuesToFields(parsed.error.issues));
  for (const [name, o] of Object.entries(parsed.data)) {
    if (!(name in map)) {
      throw new ValidationError('CXONE_ENDPOINTS', [{ path: name, message: 'unknown endpoint name' }]);
    }
    const base = map[name as EndpointName];
    map[name as EndpointName] = o === null ? { ...base, disabled: true } : { method: o.method ?? base.method, path: o.path ?? base.path };
  }
  return map;
}

/** Fills `{name}` placeholders; a missing parameter is a programming error. */
export function buildPath(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = params[name];
    if (v === undefined) throw new Error(`missing path parameter ${name} for ${template}`);
    return encodeURIComponent(String(v));
  });
}
