// The preview-activation job: one step job per activation (P-01, P-60).
// tier (all pages of active previews, then the fleet-wide semaphore) → suppressions (all
// pages, E.164) → contacts (page by page, each page written with its checkpoint: filtered,
// scrubbed against suppressions and the DNC list, calling window) → webhook (once per
// account and name) → activate (GET for the version, PUT with If-Match and an idempotency
// key; a 412 goes back to the queue and the next attempt reads again, at most N times; a
// change by someone else to a field this spec sets fails instead of being overwritten) →
// audit. The webhook is registered before the PUT, not after it as the seed does, so the
// activation's own `campaign.preview.activated` event finds a registration to go to.
import { setImmediate as yieldToIo } from 'node:timers/promises';
import type { AuditLog } from '../audit.ts';
import { CxoneHttpError, ErrorCode, isFleetError, PermanentError, TransientError } from '../errors.ts';
import type { PreviewMetrics } from './metrics.ts';
import type { Processor } from '../queues/define-worker.ts';
import { defineStepJob } from '../queues/step-job.ts';
import type { CxoneClient } from '../cxone/http.ts';
import { fetchContactPage, fetchSuppressionPage, getCampaign, listActivePreviews, putCampaign, readAhead, registerWebhook } from '../cxone/outbound.ts';
import { decide, screen, suppressionKey, type Contact, type Screened } from '../domain/preview/eligibility.ts';
import { conflictingFields, holdsAll, leaves, mergedBody } from '../domain/preview/payload.ts';
import type { CheckedSpec, PreviewSpec } from '../domain/preview/spec.ts';
import type { ActivationState } from './activation-state.ts';
import type { TierSlots } from './tier-slots.ts';

export type PreviewStep = 'tier' | 'suppressions' | 'contacts' | 'webhook' | 'activate' | 'audit';

export interface PreviewSettings {
  maxConcurrent: number;
  preconditionRetries: number;
  contactPageSize: number;
  suppressionPageSize: number;
  /** Where CXone sends campaign.preview.activated when the spec names no URI. */
  callbackUrl: string;
  /** How long an activated campaign's slot is kept (until CXone's list shows it). */
  settleMs: number;
}

export interface PreviewDeps {
  client: CxoneClient;
  state: ActivationState;
  slots: TierSlots;
  dncKey: string;
  webhooks: { get(name: string): Promise<string | undefined>; set(name: string, id: string): Promise<void> };
  audit: AuditLog;
  metrics?: PreviewMetrics;
  accountId: string;
  settings: PreviewSettings;
  /** The clock of deadlines and calling windows (tests move it). */
  now?: () => number;
  /** After each recorded step or contact page; tests use it to crash a worker there. */
  onStep?: (step: PreviewStep | 'page', activationId: string, page: number) => void | Promise<void>;
}

interface JobState {
  startedAt?: number;
  /** Our fields as first read from CXone (path → value), to tell another writer's change. */
  base?: Record<string, unknown>;
}

export const PRECONDITION_MESSAGE = 'optimistic lock conflict: campaign modified by another process';

export function createPreviewProcessor(deps: PreviewDeps): Processor<'previewActivation'> {
  const now = deps.now ?? Date.now;
  const specs = new Map<string, CheckedSpec>();
  const specOf = async (specKey: string): Promise<CheckedSpec> => {
    let s = specs.get(specKey);
    if (!s) {
      s = await deps.state.getSpec(specKey);
      if (!s) throw new PermanentError(`no stored preview spec ${specKey}`, { code: ErrorCode.Validation });
      if (specs.size > 100) specs.clear();
      specs.set(specKey, s);
    }
    return s;
  };
  const deadlineMs = (c: CheckedSpec) => c.spec.deadlineMs ?? 60_000;

  /** Past the activation's own deadline (on the injected clock): fail naming step and page. */
  function checkDeadline(activationId: string, c: CheckedSpec, st: JobState, step: PreviewStep, page?: number): void {
    const limit = deadlineMs(c);
    if (st.startedAt !== undefined && now() - st.startedAt > limit) {
      throw new PermanentError(`preview activation ${activationId} passed its ${Math.round(limit / 1000)} s deadline at step ${step}${page === undefined ? '' : ` (page ${page})`}`, {
        code: ErrorCode.Deadline,
        details: { step, page },
      });
    }
  }

  /** A step's start: its spec, and the step recorded for status readers. */
  const enter = async (data: { specKey: string; activationId: string }, step: PreviewStep): Promise<CheckedSpec> => {
    const c = await specOf(data.specKey);
    await deps.state.set(data.activationId, { step });
    return c;
  };

  /** Errors carry the step they happened in (P-60: "contact filtering failed: ..."). */
  async function inStep<T>(step: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isFleetError(err) && !(err.details as { step?: string } | undefined)?.step) {
        const hint = err.code === ErrorCode.CxoneForbidden ? '; grant the OAuth client that scope and the Outbound Campaign Administrator role' : '';
        err.message = `${step} failed: ${err.message}${hint}`;
        Object.assign(err, { details: { ...err.details, step } });
      }
      throw err;
    }
  }

  return defineStepJob<'previewActivation', PreviewStep, JobState>({
    first: 'tier',
    initial: () => ({}),
    deadlineMs: () => 3_600_000,
    steps: {
      async tier({ data, save, state, signal }) {
        const c = await specOf(data.specKey);
        const startedAt = state.startedAt ?? now();
        if (state.startedAt === undefined) await save({ startedAt });
        const id = data.activationId;
        await deps.state.set(id, { status: 'running', step: 'tier', startedAt });
        const max = c.spec.constraints.maxConcurrentPreviews ?? deps.settings.maxConcurrent;
        const active = await inStep('constraint validation', () => listActivePreviews(deps.client, { signal }));
        const { admitted, count } = await deps.slots.acquire(c.spec.campaignId, active, max, deadlineMs(c) + 60_000);
        await deps.state.set(id, { activeBefore: count });
        if (!admitted) {
          deps.metrics?.tierRefusals.inc();
          throw new PermanentError(`concurrent preview limit reached: ${count}/${max}`, { code: ErrorCode.PreviewTierLimit, details: { count, max, step: 'tier' } });
        }
        await deps.onStep?.('tier', id, 0);
        return { next: 'suppressions' };
      },

      async suppressions({ data, state, signal }) {
        const c = await enter(data, 'suppressions');
        const id = data.activationId;
        const from = (await deps.state.get(id))?.suppressionsNext ?? `limit=${deps.settings.suppressionPageSize}&page=1`;
        if (from) {
          const pages = readAhead(from, (q) => inStep('suppression fetch', () => fetchSuppressionPage(deps.client, q, { signal })));
          for await (const { page } of pages) {
            // Pages read ahead are not worked through once the job is cancelled.
            signal.throwIfAborted();
            checkDeadline(id, c, state, 'suppressions');
            const e164s: string[] = [];
            for (const s of page.items) {
              const key = suppressionKey(s.phoneNumber, c.spec.defaultRegion);
              if (key) e164s.push(key);
            }
            await deps.state.saveSuppressionPage(id, e164s, page.next ?? '');
          }
        }
        await deps.onStep?.('suppressions', id, 0);
        return { next: 'contacts' };
      },

      async contacts({ data, state, signal }) {
        const c = await enter(data, 'contacts');
        const id = data.activationId;
        const rec = await deps.state.get(id);
        const from = rec?.contactsNext ?? `limit=${deps.settings.contactPageSize}&page=1`;
        let pageNo = (rec?.contactPages ?? 0) + 1;
        if (from) {
          const pages = readAhead(from, (q) => inStep('contact filtering', () => fetchContactPage(deps.client, c.spec.contactListId, q, { signal })));
          for await (const { page } of pages) {
            signal.throwIfAborted();
            checkDeadline(id, c, state, 'contacts', pageNo);
            const screened = await screenInSlices(page.items, c.spec);
            const lists = await deps.state.lookup(id, deps.dncKey, screened.flatMap((s) => (s.e164 && !s.outcome ? [s.e164] : [])));
            const verdicts = decide(page.items, screened, lists, c.spec, now());
            const perOutcome = await deps.state.saveContactPage(id, pageNo, verdicts, page.next ?? '');
            for (const [outcome, n] of perOutcome) deps.metrics?.contacts.inc({ outcome }, n);
            await deps.onStep?.('page', id, pageNo);
            pageNo++;
          }
        }
        await deps.state.dropScratch(id);
        return { next: 'webhook' };
      },

      async webhook({ data, signal }) {
        const c = await enter(data, 'webhook');
        const w = c.spec.webhook;
        if (w.enabled) {
          let webhookId = await deps.webhooks.get(w.name);
          if (!webhookId) {
            const res = await inStep('webhook registration', () =>
              registerWebhook(deps.client, { name: w.name, enabled: true, eventFilter: 'campaign.preview.activated', uri: w.uri ?? deps.settings.callbackUrl, method: 'POST' }, { signal }),
            );
            webhookId = res.id;
            await deps.webhooks.set(w.name, webhookId);
          }
          await deps.state.set(data.activationId, { webhookId });
        }
        await deps.onStep?.('webhook', data.activationId, 0);
        return { next: 'activate' };
      },

      async activate({ data, state, save, signal, job }) {
        const c = await enter(data, 'activate');
        const id = data.activationId;
        checkDeadline(id, c, state, 'activate');
        const campaignId = c.spec.campaignId;
        const read = await inStep('activation', () => getCampaign(deps.client, campaignId, { signal }));
        const rerun = state.base !== undefined;
        const ours = Object.fromEntries([...leaves(c.payload)].map(([p]) => [p, leaves(read.campaign).get(p)]));
        if (state.base) {
          const changed = conflictingFields(c.payload, unflat(state.base), read.campaign);
          if (changed.length > 0) {
            throw new PermanentError(`campaign ${campaignId} changed fields this spec sets: ${changed.join(', ')}`, {
              code: ErrorCode.PreviewConflict,
              details: { fields: changed, version: read.campaign.version, step: 'activate' },
            });
          }
        } else await save({ base: ours });
        // A PUT that went through before a crash: the campaign is active with our fields.
        if (rerun && read.campaign.status === 'active' && holdsAll(c.payload, read.campaign)) {
          await deps.state.set(id, { version: read.campaign.version, cxoneStatus: 'active', activatedAt: now(), latencyMs: Math.max(0, now() - (state.startedAt ?? now())) });
          await deps.slots.settle(campaignId, deps.settings.settleMs);
          return { next: 'audit' };
        }
        const started = now();
        try {
          const res = await putCampaign(deps.client, campaignId, mergedBody(read.campaign, c.payload), {
            ifMatch: read.etag,
            idempotencyKey: `preview.${id}.v${read.campaign.version}`,
            signal,
          });
          const latencyMs = Math.max(0, now() - (state.startedAt ?? started));
          await deps.state.set(id, { version: res.version, cxoneStatus: res.status, activatedAt: now(), latencyMs });
          await deps.slots.settle(campaignId, deps.settings.settleMs);
          await deps.onStep?.('activate', id, 0);
          return { next: 'audit' };
        } catch (err) {
          if (err instanceof CxoneHttpError && err.status === 400) throw refusal(err);
          if (!(err instanceof CxoneHttpError) || err.status !== 412) throw err;
          deps.metrics?.preconditionRetries.inc();
          const retries = await deps.state.incr(id, 'preconditionRetries');
          const version = Number((err.details?.response as { currentVersion?: number } | undefined)?.currentVersion ?? read.campaign.version);
          const msg = `${PRECONDITION_MESSAGE} (${retries} attempts, last version ${version})`;
          job.log(`412 on PUT at version ${read.campaign.version}; current ${version}`).catch(() => undefined);
          if (retries >= deps.settings.preconditionRetries) throw new PermanentError(msg, { code: ErrorCode.CxonePreconditionFailed, details: { retries, version, step: 'activate' } });
          throw new TransientError(msg, { code: ErrorCode.CxonePreconditionFailed, details: { retries, version, step: 'activate' } });
        }
      },

      async audit({ data }) {
        const c = await specOf(data.specKey);
        const id = data.activationId;
        const r = (await deps.state.get(id))!;
        await deps.state.set(id, { status: 'active', step: 'done' });
        await deps.audit.append({
          kind: 'campaign.preview.activated',
          accountId: deps.accountId,
          campaignId: c.spec.campaignId,
          entityId: id,
          status: 'success',
          latencyMs: r.latencyMs,
          details: { successRate: 1, ...r.counts, eligibleShare: r.counts.fetched ? r.counts.eligible / r.counts.fetched : 0, version: r.version ?? 0, preconditionRetries: r.preconditionRetries },
        });
        deps.metrics?.activations.inc({ result: 'active' });
        if (r.latencyMs !== undefined) deps.metrics?.activationSeconds.observe(r.latencyMs / 1000);
        await deps.onStep?.('audit', id, 0);
        return { done: true, result: { activationId: id, version: r.version, eligible: r.counts.eligible } };
      },
    },

    async onFinalFailure(data, err, { step, log }) {
      const code = isFleetError(err) ? err.code : ErrorCode.Unexpected;
      const message = err instanceof Error ? err.message : String(err);
      const c = await deps.state.getSpec(data.specKey);
      await deps.state.set(data.activationId, { status: 'failed', errorCode: code, error: message.slice(0, 2000) });
      // Our slot goes; a refused activation never held one.
      if (c && code !== ErrorCode.PreviewTierLimit) await deps.slots.release(c.spec.campaignId);
      await deps.state.dropScratch(data.activationId);
      await deps.audit.append({
        kind: 'campaign.preview.activated',
        accountId: deps.accountId,
        campaignId: c?.spec.campaignId,
        entityId: data.activationId,
        status: 'failed',
        errorCode: code,
        details: { successRate: 0, step: step ?? 'tier' },
      });
      deps.metrics?.activations.inc({ result: 'failed' });
      log.warn({ activationId: data.activationId, step, code }, 'preview activation failed');
    },
  });
}

/**
 * Contacts validated between two turns of the event loop. A whole page (250 numbers through
 * libphonenumber, several ms) in one go holds up the fetcher running ahead (its limiter
 * booking, its HTTP answer), and the chain of requests loses that time for good; in slices
 * the fetcher's callbacks wait at most one slice.
 */
const SCREEN_SLICE = 50;

async function screenInSlices(contacts: readonly Contact[], spec: PreviewSpec): Promise<Screened[]> {
  const out: Screened[] = [];
  for (let i = 0; i < contacts.length; i += SCREEN_SLICE) {
    if (i > 0) await yieldToIo();
    out.push(...screen(contacts.slice(i, i + SCREEN_SLICE), spec));
  }
  return out;
}

/** A 400 on the PUT names CXone's fields (P-64: an unknown queue is agentDirectives.0.queueId). */
function refusal(err: CxoneHttpError): PermanentError {
  const details = (err.details?.response as { details?: { field?: string; message?: string }[] } | undefined)?.details ?? [];
  const fields = details.map((d) => `${d.field ?? '(root)'}: ${d.message ?? 'invalid'}`);
  return new PermanentError(`activation failed: ${err.message}${fields.length ? `: ${fields.join('; ')}` : ''}`, {
    code: ErrorCode.CxoneBadRequest,
    cause: err,
    details: { step: 'activate', fields: details },
  });
}

/** path → value back into nested objects and arrays, for conflictingFields. */
function unflat(flat: Record<string, unknown>): unknown {
  const root: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(flat)) {
    const parts = path.split('.');
    let node: Record<string, unknown> = root;
    parts.forEach((p, i) => {
      if (i === parts.length - 1) node[p] = value;
      else node = (node[p] ??= {}) as Record<string, unknown>;
    });
  }
  return root;
}
