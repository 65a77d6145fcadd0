// The flow-event delivery check: the signature against each registered subscription's own
// secret (read from this process's environment by the variable the registration named).
import { secretEnvironment } from '../config.ts';
import type { VerifyContext, WebhookVerdict } from '../ingress/webhook-kinds.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../webhook-signature.ts';
import { createSubscriptionStore, verifyFlowEvent } from './subscriptions.ts';

// A repeated header is ambiguous: refuse it rather than guess which one was signed.
const single = (h: string | string[] | undefined) => (typeof h === 'string' ? h : undefined);

const REASONS = { missing: 'missing_signature', malformed: 'malformed_signature', stale: 'stale_timestamp', mismatch: 'bad_signature', no_subscription: 'bad_signature' } as const;

export async function verifyBySubscription(ctx: VerifyContext): Promise<WebhookVerdict> {
  const subscriptions = await createSubscriptionStore({ redis: ctx.redis, prefix: ctx.config.redis.prefix }).list();
  const v = verifyFlowEvent({
    subscriptions,
    env: secretEnvironment(),
    timestampHeader: single(ctx.req.headers[TIMESTAMP_HEADER]),
    signatureHeader: single(ctx.req.headers[SIGNATURE_HEADER]),
    rawBody: ctx.raw,
    toleranceS: ctx.config.ingress.webhookToleranceS,
    nowMs: ctx.nowMs,
  });
  return v.ok ? { ok: true, verified: { subscriptionId: v.subscriptionId } } : { ok: false, reason: REASONS[v.reason] };
}
