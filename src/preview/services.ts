// The preview domain's operations, shared by the CLI, the control API and the library:
// validate a spec, start an activation, read its state and contacts, wait for its end, and
// the DNC list. Producers never call CXone: they store, enqueue and read Redis.
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';
import { ValidationError } from '../errors.ts';
import { checkPreviewSpec, parsePreviewSpec, type CheckedSpec, type SpecResult } from '../domain/preview/spec.ts';
import type { SpecFormat } from '../domain/email/spec.ts';
import type { Enqueuer } from '../queues/enqueue.ts';
import type { RedisConnection } from '../redis.ts';
import { createActivationState, type ActivationRecord, type ExcludedContact } from './activation-state.ts';
import type { PreviewSettings } from './activation-processor.ts';
import { createDncStore } from './dnc-store.ts';
import { previewJobIds } from './keys.ts';

export function previewSettings(config: Config): PreviewSettings {
  const base = config.ingress.publicUrl ?? `http://127.0.0.1:${config.ingress.port}`;
  return {
    maxConcurrent: config.preview.maxConcurrent,
    preconditionRetries: config.preview.preconditionRetries,
    contactPageSize: config.preview.contactPageSize,
    suppressionPageSize: config.preview.suppressionPageSize,
    callbackUrl: `${base.replace(/\/+$/, '')}/webhooks/campaigns/events`,
    settleMs: 5 * 60_000,
  };
}

export function newActivationId(campaignId: string): string {
  return `${campaignId.slice(0, 40)}.${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

const FINAL = new Set(['active', 'failed']);

export function createPreviewServices(deps: { config: Config; redis: RedisConnection; enqueuer: Enqueuer }) {
  const { redis, config } = deps;
  const prefix = config.redis.prefix;
  const accountId = config.cxone.accountId;
  const state = createActivationState({ redis, prefix });
  const dnc = createDncStore({ redis, prefix, accountId });

  /** The spec checked, with the config's deadline as its default. */
  function withDefaults(r: SpecResult): SpecResult {
    if (!r.ok || r.value.spec.deadlineMs !== undefined) return r;
    return checkPreviewSpec({ ...r.value.spec, deadlineMs: config.preview.deadlineMs });
  }

  return {
    state,
    dnc,

    validate: (text: string, format: SpecFormat = 'auto') => withDefaults(parsePreviewSpec(text, format)),
    validateObject: (data: unknown) => withDefaults(checkPreviewSpec(data)),

    /** Stores the spec, records the activation and enqueues its job. */
    async activate(checked: CheckedSpec, opts: { requestId?: string } = {}): Promise<{ activationId: string; jobId: string; specKey: string }> {
      const activationId = newActivationId(checked.spec.campaignId);
      await state.putSpec(checked);
      await state.create(activationId, checked.spec.campaignId, checked.specKey, Date.now());
      const job = await deps.enqueuer.enqueue(
        'previewActivation',
        { accountId, requestId: opts.requestId, activationId, specKey: checked.specKey },
        { jobId: previewJobIds.activation(activationId) },
      );
      return { activationId, jobId: String(job.id), specKey: checked.specKey };
    },

    /** By activation id, or the latest activation of a campaign id. */
    async status(ref: string): Promise<ActivationRecord | undefined> {
      return (await state.get(ref)) ?? (await state.get((await state.byCampaign(ref)) ?? ''));
    },

    /** Follows the Redis record (no CXone call) until it is final or `timeoutMs` passes. */
    async wait(activationId: string, timeoutMs: number, onChange?: (r: ActivationRecord) => void, intervalMs = 200): Promise<ActivationRecord | undefined> {
      const until = Date.now() + timeoutMs;
      let last = '';
      for (;;) {
        const r = await state.get(activationId);
        const sig = r ? `${r.status}/${r.step}/${r.contactPages}` : '';
        if (r && sig !== last) onChange?.(r);
        last = sig;
        if (!r || FINAL.has(r.status) || Date.now() >= until) return r;
        await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, Math.max(1, until - Date.now()))));
      }
    },

    async contacts(activationId: string, opts: { excluded?: boolean; reason?: string; offset?: number; count?: number } = {}): Promise<{ excluded: ExcludedContact[] } | { eligible: string[] }> {
      if (!(await state.get(activationId))) throw new ValidationError('activation', [{ path: 'activationId', message: `no preview activation ${activationId}` }]);
      if (opts.excluded || opts.reason) return { excluded: await state.excluded(activationId, opts) };
      return { eligible: await state.eligible(activationId, opts.offset, opts.count) };
    },
  };
}

export type PreviewServices = ReturnType<typeof createPreviewServices>;
