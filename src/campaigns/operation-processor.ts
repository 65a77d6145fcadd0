// The campaign operations other than launch (campaign-operation): set the pacing by hand or
// change the policy, stop a campaign, refresh its summary. Producers never call CXone; the
// API and CLI enqueue these and wait on their results in Redis.
import { setTimeout as delay } from 'node:timers/promises';
import type { AuditLog } from '../audit.ts';
import { ErrorCode, PermanentError, TransientError } from '../errors.ts';
import { getStatistics, refusalOf, stopCampaign } from '../cxone/campaigns.ts';
import type { CxoneClient } from '../cxone/http.ts';
import type { JobContext } from '../queues/define-worker.ts';
import type { PayloadOf } from '../queues/registry.ts';
import type { DialerBreakers } from './dialer-breaker.ts';
import { patchPacing, settlePendingChange } from './pacing-processor.ts';
import type { PacingSchedule } from './pacing-schedule.ts';
import type { PacingStore } from './pacing-store.ts';

/** How long a change by hand waits for a running check, and the most it holds the lock. */
const LOCK_WAIT_MS = 10_000;
const LOCK_HOLD_MS = 60_000;

type OtherOp = Exclude<PayloadOf<'campaignOperation'>, { op: 'launch' }>;

export interface OperationDeps {
  client: CxoneClient;
  pacing: PacingStore;
  schedule: PacingSchedule;
  breakers: DialerBreakers;
  audit: AuditLog;
  accountId: string;
}

export function createOperationProcessor(deps: OperationDeps) {
  /**
   * A change by hand takes the pacing check's lock, so a check that read the old policy
   * cannot PATCH its own rate over the operator's after it.
   */
  async function underCheckLock<T>(campaignId: string, token: string, signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    const until = Date.now() + LOCK_WAIT_MS;
    while (!(await deps.pacing.tryLock(campaignId, token, LOCK_HOLD_MS))) {
      if (Date.now() >= until) throw new TransientError(`a pacing check of campaign ${campaignId} holds its lock`, { code: ErrorCode.Unavailable, details: { campaignId } });
      await delay(50, undefined, { signal });
    }
    try {
      return await fn();
    } finally {
      await deps.pacing.unlock(campaignId, token);
    }
  }

  return async (data: OtherOp, { signal, log, job }: JobContext): Promise<unknown> => {
    const { campaignId } = data;
    switch (data.op) {
      case 'set-pacing':
        return underCheckLock(campaignId, `op.${String(job.id)}`, signal, async () => {
          const found = await deps.pacing.get(campaignId);
          if (!found || found.status !== 'active') throw new PermanentError(`campaign ${campaignId} has no live pacing (not launched by this fleet, or stopped)`, { code: ErrorCode.CampaignNotRunning });
          const p = found.pending ? await deps.breakers.guarded(campaignId, () => settlePendingChange(deps, found, signal, log)) : found;
          const policy = data.policy ?? (data.callsPerMinute !== undefined ? 'manual' : p.policy);
          if (data.callsPerMinute !== undefined && data.callsPerMinute !== p.cpm) {
            const cpm = data.callsPerMinute;
            await deps.breakers.guarded(campaignId, () => patchPacing(deps, campaignId, cpm, signal));
            await deps.pacing.recordDecision(campaignId, {
              at: Date.now(),
              seq: (await deps.pacing.get(campaignId))?.seq ?? 0,
              policy,
              from: p.cpm,
              to: cpm,
              kind: cpm > p.cpm ? 'raise' : 'lower',
              reason: 'set by an operator',
              inputs: { currentCpm: p.cpm, answerRate: 0, abandonRate: 0, windows: { h24: { rate: 0, answered: 0, abandoned: 0 }, d30: { rate: 0, answered: 0, abandoned: 0 } } },
              patched: true,
            });
            await deps.audit.append({ kind: 'campaign.pacing.changed', accountId: deps.accountId, campaignId, status: `${p.cpm}->${cpm}`, entityId: 'manual' });
            log.info({ campaignId, from: p.cpm, to: cpm }, `Adjusted pacing to ${cpm} CPM by request`);
          }
          await deps.pacing.set(campaignId, { policy });
          return { campaignId, policy, callsPerMinute: data.callsPerMinute ?? p.cpm, message: 'Pacing adjusted successfully' };
        });
      case 'stop': {
        try {
          await deps.breakers.guarded(campaignId, () => stopCampaign(deps.client, campaignId, { signal }));
        } catch (err) {
          // 409: CXone has it stopped (or never started) already; the fleet's side still ends.
          if (refusalOf(err)?.status !== 409) throw err;
        }
        await deps.schedule.end(campaignId);
        await deps.audit.append({ kind: 'campaign.stop', accountId: deps.accountId, campaignId, status: 'stopped' });
        return { campaignId, status: 'STOPPED' };
      }
      case 'summary': {
        try {
          const stats = await getStatistics(deps.client, campaignId, { signal });
          await deps.pacing.putSummary(campaignId, stats);
          return { campaignId, ...stats };
        } catch (err) {
          const r = refusalOf(err);
          if (!r) throw err;
          const message = `summary returned status ${r.status}`;
          const details = { campaignId, status: r.status };
          if (r.status >= 500) throw new TransientError(message, { code: ErrorCode.CxoneServerError, cause: err, details });
          throw new PermanentError(message, { code: ErrorCode.CxoneBadRequest, cause: err, details });
        }
      }
    }
  };
}
