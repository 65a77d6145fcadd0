// Event subscriptions for flow changes (CF 252-280), with the signing secret given by
// reference only: the name of an environment variable (one of SECRET_ENV_PREFIXES), read
// for the registration call and by the ingress when it verifies an event, and stored
// nowhere (the seed hard-codes it, F-51). The registration is kept in Redis so that every
// ingress process knows which secrets sign flow.* events, and which subscription an event
// came through.
import { z } from 'zod';
import { createEventSubscription, FLOW_EVENT_TYPES } from '../cxone/flows.ts';
import type { CxoneClient } from '../cxone/http.ts';
import { ValidationError } from '../errors.ts';
import type { RedisConnection } from '../redis.ts';
import { verifySignature, type SignatureVerdict } from '../webhook-signature.ts';
import { flowKeys } from './keys.ts';

export const MIN_SECRET_LENGTH = 16;

export const subscriptionRecord = z.object({
  id: z.string(),
  url: z.string(),
  eventTypes: z.array(z.string()),
  secretEnv: z.string(),
  registeredAt: z.string(),
  /** false: CXone answered 409, the subscription was there already. */
  created: z.boolean(),
});
export type SubscriptionRecord = z.infer<typeof subscriptionRecord>;

export interface SubscribeRequest {
  url: string;
  secretEnv: string;
  eventTypes?: readonly string[];
}

/** Every problem of a request, each naming its field; the secret's value is never shown. */
export function subscriptionProblems(
  req: SubscribeRequest,
  env: Readonly<Record<string, string | undefined>>,
  prefixes: readonly string[],
): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  let url: URL | undefined;
  try {
    url = new URL(req.url);
  } catch {
    problems.push({ path: 'url', message: 'must be an absolute http(s) URL' });
  }
  if (url && url.protocol !== 'https:' && url.protocol !== 'http:') problems.push({ path: 'url', message: 'must be an http(s) URL' });
  const name = req.secretEnv;
  if (!/^[A-Z][A-Z0-9_]*$/.test(name)) problems.push({ path: 'secretEnv', message: 'must name an environment variable (upper-case letters, digits, _)' });
  else if (!prefixes.some((p) => name.startsWith(p))) problems.push({ path: 'secretEnv', message: `must start with one of ${prefixes.join(', ')} (SECRET_ENV_PREFIXES)` });
  else if (!env[name]) problems.push({ path: 'secretEnv', message: `${name} is not set` });
  else if ((env[name] ?? '').length < MIN_SECRET_LENGTH) problems.push({ path: 'secretEnv', message: `${name} holds fewer than ${MIN_SECRET_LENGTH} characters` });
  for (const [i, t] of (req.eventTypes ?? []).entries()) {
    if (!(FLOW_EVENT_TYPES as readonly string[]).includes(t)) problems.push({ path: `eventTypes[${i}]`, message: `must be one of ${FLOW_EVENT_TYPES.join(', ')}` });
  }
  return problems;
}

export function createSubscriptionStore(deps: { redis: RedisConnection; prefix: string }) {
  const key = flowKeys(deps.prefix).subscriptions();
  return {
    async put(r: SubscriptionRecord): Promise<void> {
      await deps.redis.hset(key, r.id, JSON.stringify(subscriptionRecord.parse(r)));
    },
    async list(): Promise<SubscriptionRecord[]> {
      const all = await deps.redis.hvals(key);
      return all.map((v) => subscriptionRecord.parse(JSON.parse(v))).sort((a, b) => a.registeredAt.localeCompare(b.registeredAt));
    },
    async findByUrl(url: string): Promise<SubscriptionRecord | undefined> {
      return (await this.list()).find((s) => s.url === url);
    },
  };
}

export type SubscriptionStore = ReturnType<typeof createSubscriptionStore>;

export interface SubscriptionDeps {
  client: CxoneClient;
  store: SubscriptionStore;
  /** Where secret references are read (secretEnvironment(): only SECRET_ENV_PREFIXES names). */
  env: Readonly<Record<string, string | undefined>>;
  prefixes: readonly string[];
  now?: () => number;
}

/**
 * Registers the subscription with CXone once: 201 and 409 both leave it recorded here
 * (409 = "already there"). Bad input is a ValidationError naming each field.
 */
export async function registerSubscription(deps: SubscriptionDeps, req: SubscribeRequest, signal?: AbortSignal): Promise<SubscriptionRecord> {
  const problems = subscriptionProblems(req, deps.env, deps.prefixes);
  if (problems.length > 0) throw new ValidationError('subscription', problems);
  const eventTypes = [...new Set(req.eventTypes?.length ? req.eventTypes : FLOW_EVENT_TYPES)].sort();
  const secret = deps.env[req.secretEnv] as string;
  const res = await createEventSubscription(deps.client, { url: req.url, event_types: eventTypes, secret }, { signal });
  const known = await deps.store.findByUrl(req.url);
  const record: SubscriptionRecord = {
    // A 409 without an id: the one recorded before, else one named after the URL.
    id: res.id ?? known?.id ?? `url-${Buffer.from(req.url).toString('base64url').slice(0, 48)}`,
    url: req.url,
    eventTypes,
    secretEnv: req.secretEnv,
    registeredAt: new Date((deps.now ?? Date.now)()).toISOString(),
    created: res.created,
  };
  await deps.store.put(record);
  return record;
}

export type FlowSignatureCheck = { ok: true; subscriptionId: string } | { ok: false; reason: Exclude<SignatureVerdict, { ok: true }>['reason'] | 'no_subscription' };

/**
 * Verifies a flow.* delivery against each registered subscription's own secret; the one
 * that matches names the subscription. A subscription whose variable is not set in this
 * process verifies nothing (and is reported by `missing`).
 */
export function verifyFlowEvent(opts: {
  subscriptions: readonly SubscriptionRecord[];
  env: Readonly<Record<string, string | undefined>>;
  timestampHeader: string | undefined;
  signatureHeader: string | undefined;
  rawBody: Buffer;
  toleranceS: number;
  nowMs?: number;
}): FlowSignatureCheck & { missing: string[] } {
  const missing: string[] = [];
  let last: FlowSignatureCheck = { ok: false, reason: 'no_subscription' };
  for (const sub of opts.subscriptions) {
    const secret = opts.env[sub.secretEnv];
    if (!secret) {
      missing.push(sub.secretEnv);
      continue;
    }
    const verdict = verifySignature({ ...opts, secrets: [secret] });
    if (verdict.ok) return { ok: true, subscriptionId: sub.id, missing };
    last = { ok: false, reason: verdict.reason };
    // Missing, malformed or stale headers fail alike for every secret.
    if (verdict.reason !== 'mismatch') break;
  }
  return { ...last, missing };
}
