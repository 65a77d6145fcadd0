// One pacing check (pacing-check, produced by the campaign's job scheduler): dialer breaker
// gate -> status (not RUNNING: the check removes its own scheduler) -> realtime figures ->
// cumulative statistics (the abandonment windows and the summary) -> decide with the
// campaign's policy -> PATCH only when the rate changes (Idempotency-Key per change) ->
// record the decision with its inputs, audit a change, log it. Each check counts once on
// the dialer breaker; while it is open checks are deferred without spending attempts.
import type { OperationDeps } from './operation-processor.ts';
import { decidePacing, pacingInputs, type AbandonBudget, type PacingDecision, type PacingInputs } from '../domain/campaigns/pacing.ts';
import { ErrorCode, PermanentError, RateLimitedError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { CampaignMetrics } from './metrics.ts';
import { getCampaign, getRealtime, getStatistics, refusalOf, stopCampaign, updatePacing } from '../cxone/campaigns.ts';
import type { Processor } from '../queues/define-worker.ts';
import { campaignRef } from './keys.ts';
import type { PacingState } from './pacing-store.ts';

/** Longest a check may hold its campaign's lock (a crashed worker's lock lapses). */
const CHECK_LOCK_MS = 60_000;

export interface PacingSettingsConfig {
  targetAnswerRate: number;
  /** CXone's realtime window (a rate is `settled` once it has run this long). */
  realtimeWindowMs: number;
  budget: AbandonBudget;
}

/** What an operation needs, plus the policy's settings and the series it reports. */
export interface PacingDeps extends OperationDeps {
  settings: PacingSettingsConfig;
  metrics?: CampaignMetrics | undefined;
  now?: () => number;
}

/** Abandons left before the tighter window reaches the limit (never below 0). */
export function budgetLeft(windows: PacingInputs['windows'], limit: number): number {
  const left = (w: { answered: number; abandoned: number }) => Math.floor(limit * w.answered - w.abandoned);
  return Math.max(0, Math.min(left(windows.h24), left(windows.d30)));
}

/**
 * Sets a campaign's rate on CXone; any refusal is "pacing update failed with status N"
 * (L-43). The rate is noted as pending before the call and made the one in force after it,
 * so a process that dies in between leaves it for the next check to send again (`resend`:
 * the pending rate and its sequence number, under the same idempotency key).
 */
export async function patchPacing(deps: Pick<PacingDeps, 'client' | 'pacing'>, campaignId: string, cpm: number, signal: AbortSignal, at = Date.now(), resend?: { seq: number }): Promise<void> {
  const seq = resend?.seq ?? (await deps.pacing.beginChange(campaignId, cpm));
  try {
    await updatePacing(deps.client, campaignId, cpm, { signal, idempotencyKey: `pacing.${campaignRef(campaignId)}.${seq}` });
  } catch (err) {
    // A 429, a timeout, a lost answer: CXone may have it; it stays pending.
    if (err instanceof RateLimitedError) throw err;
    const r = refusalOf(err);
    if (!r) throw err;
    await deps.pacing.dropChange(campaignId);
    throw new PermanentError(`pacing update failed with status ${r.status}`, { code: ErrorCode.PacingUpdateFailed, cause: err, details: { campaignId, status: r.status } });
  }
  await deps.pacing.applyChange(campaignId, cpm, at);
}

/**
 * A rate left pending is sent again and recorded, with its decision and audit (marked as
 * resent), before anything else is decided from the rate in force. Returns the state after.
 */
export async function settlePendingChange(deps: Pick<PacingDeps, 'client' | 'pacing' | 'audit' | 'accountId'>, p: PacingState, signal: AbortSignal, log: Logger): Promise<PacingState> {
  const pending = p.pending;
  if (!pending) return p;
  const at = Date.now();
  await patchPacing(deps, p.campaignId, pending.cpm, signal, at, { seq: pending.seq });
  const quiet = { rate: 0, answered: 0, abandoned: 0 };
  await deps.pacing.recordDecision(p.campaignId, {
    at,
    seq: pending.seq,
    policy: p.policy,
    from: p.cpm,
    to: pending.cpm,
    kind: pending.cpm > p.cpm ? 'raise' : pending.cpm < p.cpm ? 'lower' : 'hold',
    reason: 'a rate sent before its answer was recorded, sent again under the same key',
    inputs: { currentCpm: p.cpm, answerRate: 0, abandonRate: 0, windows: { h24: quiet, d30: quiet } },
    patched: true,
  });
  await deps.audit.append({ kind: 'campaign.pacing.changed', accountId: deps.accountId, campaignId: p.campaignId, status: `${p.cpm}->${pending.cpm}`, entityId: 'resent' });
  log.warn({ campaignId: p.campaignId, from: p.cpm, to: pending.cpm, seq: pending.seq }, 'pacing change left pending: sent again and recorded');
  return (await deps.pacing.get(p.campaignId)) ?? p;
}

export function createPacingCheck(deps: PacingDeps) {
  const now = deps.now ?? Date.now;

  async function decideAndApply(p: PacingState, campaignId: string, signal: AbortSignal, log: Logger) {
    const realtime = await getRealtime(deps.client, campaignId, { signal });
    const stats = await getStatistics(deps.client, campaignId, { signal });
    const t = now();
    await deps.pacing.putSummary(campaignId, stats, t);
    const samples = await deps.pacing.addSample(campaignId, { t, answered: stats.answered, abandoned: stats.abandoned });
    const inputs = pacingInputs({ currentCpm: p.cpm, cpmSince: p.cpmSince, realtime, samples, now: t, realtimeWindowMs: deps.settings.realtimeWindowMs });
    const decision: PacingDecision = decidePacing(inputs, { policy: p.policy, targetAnswerRate: deps.settings.targetAnswerRate, budget: deps.settings.budget });
    const changed = decision.cpm !== p.cpm;
    let error: string | undefined;
    try {
      if (changed) await patchPacing(deps, campaignId, decision.cpm, signal, t);
      if (decision.kind === 'stop') {
        await stopCampaign(deps.client, campaignId, { signal });
        await deps.schedule.end(campaignId);
      }
    } catch (err) {
      error = (err as Error).message;
      throw err;
    } finally {
      const seq = (await deps.pacing.get(campaignId))?.seq ?? p.seq;
      await deps.pacing.recordDecision(campaignId, { at: t, seq, policy: p.policy, from: p.cpm, to: decision.cpm, kind: decision.kind, reason: decision.reason, inputs, patched: changed && !error, ...(error ? { error } : {}) });
      deps.metrics?.pacingDecisions.inc({ decision: decision.kind });
    }
    await deps.pacing.set(campaignId, { lastCheckAt: t });
    report(campaignId, inputs, decision, changed, log);
    if (changed) {
      await deps.audit.append({ kind: 'campaign.pacing.changed', accountId: deps.accountId, campaignId, status: `${p.cpm}->${decision.cpm}`, entityId: decision.kind });
    }
    return { decision, inputs, changed };
  }

  function report(campaignId: string, inputs: PacingInputs, decision: PacingDecision, changed: boolean, log: Logger): void {
    const m = deps.metrics;
    if (m && decision.kind !== 'stop') {
      m.campaignCpm.set({ campaign: campaignId }, decision.cpm);
      m.campaignAnswerRate.set({ campaign: campaignId }, inputs.answerRate);
      m.campaignAbandonRate.set({ campaign: campaignId, window: 'realtime' }, inputs.abandonRate);
      m.campaignAbandonRate.set({ campaign: campaignId, window: '24h' }, inputs.windows.h24.rate);
      m.campaignAbandonRate.set({ campaign: campaignId, window: '30d' }, inputs.windows.d30.rate);
      m.campaignBudgetRemaining.set({ campaign: campaignId }, budgetLeft(inputs.windows, deps.settings.budget.limit));
    }
    if (changed) log.info({ campaignId, from: inputs.currentCpm, to: decision.cpm, kind: decision.kind, reason: decision.reason }, `Adjusted pacing to ${decision.cpm} CPM based on answer rate ${inputs.answerRate.toFixed(2)}`);
    else log.debug({ campaignId, cpm: decision.cpm, reason: decision.reason }, 'pacing unchanged');
  }

  const processor: Processor<'pacingCheck'> = async (data, { signal, log, job }) => {
    const { campaignId } = data;
    const token = String(job.id);
    if (!(await deps.pacing.tryLock(campaignId, token, CHECK_LOCK_MS))) return { campaignId, skipped: 'another check is running' };
    try {
      return await check(campaignId, signal, log);
    } finally {
      await deps.pacing.unlock(campaignId, token);
    }
  };

  async function check(campaignId: string, signal: AbortSignal, log: Logger) {
    const p = await deps.pacing.get(campaignId);
    if (!p || p.status !== 'active') {
      await deps.schedule.end(campaignId);
      return { campaignId, skipped: 'pacing not active' };
    }
    return deps.breakers.guarded(campaignId, async () => {
      const status = (await getCampaign(deps.client, campaignId, { signal })).status?.toUpperCase();
      if (status !== 'RUNNING') {
        await deps.schedule.end(campaignId);
        log.info({ campaignId, status }, 'campaign not running: pacing checks end');
        return { campaignId, skipped: `campaign ${status ?? 'without status'}` };
      }
      const current = await settlePendingChange(deps, p, signal, log);
      const r = await decideAndApply(current, campaignId, signal, log);
      return { campaignId, policy: current.policy, from: current.cpm, to: r.decision.cpm, kind: r.decision.kind };
    });
  }
  return processor;
}
