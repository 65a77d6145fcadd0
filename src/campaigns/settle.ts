// How a launch ends once CXone reports a final status, whoever saw it first: a status poll
// of the launch job or a campaign.status.changed event. The first to claim the launch
// records the outcome, counts it on the dialer breaker (RUNNING = success, STOPPED or
// ERROR = failure, L-64), audits and logs it, and on RUNNING starts the pacing checks.
// The claim and the outcome are written in one step; starting pacing is repeated by whoever
// comes later, so a process that dies after the claim leaves no running campaign unpaced.
import type { AuditLog } from '../audit.ts';
import { ErrorCode, type ErrorCodeValue } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { CampaignMetrics } from './metrics.ts';
import type { DialerBreakers } from './dialer-breaker.ts';
import type { LaunchRecord, LaunchStore } from './launch-store.ts';

export const FINAL_STATUSES = new Set(['RUNNING', 'STOPPED', 'ERROR']);

export interface SettleDeps {
  launches: LaunchStore;
  breakers: DialerBreakers;
  audit: AuditLog;
  accountId: string;
  metrics?: CampaignMetrics | undefined;
  /** Starts the pacing checks of a RUNNING campaign (absent: none). */
  startPacing?: ((launch: LaunchRecord, campaignId: string) => Promise<void>) | undefined;
}

export type Outcome = { ok: true } | { ok: false; code: ErrorCodeValue; message: string };

/** The outcome of a final status, in the seed's words (CL 235-245). */
export function outcomeOf(campaignId: string, status: string, lastError: { errorCode?: unknown; errorMessage?: unknown } | undefined): Outcome {
  if (status === 'RUNNING') return { ok: true };
  if (status === 'STOPPED') return { ok: false, code: ErrorCode.CampaignStopped, message: `campaign ${campaignId} reached STOPPED while starting` };
  if (lastError && (lastError.errorCode !== undefined || lastError.errorMessage !== undefined)) {
    return { ok: false, code: ErrorCode.CampaignError, message: `campaign error: code=${String(lastError.errorCode)}, message=${String(lastError.errorMessage)}` };
  }
  return { ok: false, code: ErrorCode.CampaignError, message: 'campaign entered ERROR state without details' };
}

export function createLaunchSettler(deps: SettleDeps) {
  /**
   * A settled launch that is running gets its pacing started if that did not happen: the
   * process that claimed it may have died just after. Whoever finds the launch settled (the
   * other of poll and event, or the claiming job's re-run) calls this; a second start
   * changes nothing.
   */
  async function ensurePacing(launch: LaunchRecord): Promise<void> {
    if (launch.status === 'running' && launch.spec.autoPacing && launch.campaignId) await deps.startPacing?.(launch, launch.campaignId);
  }

  async function settle(
    launch: LaunchRecord,
    campaignId: string,
    status: string,
    lastError: { errorCode?: unknown; errorMessage?: unknown } | undefined,
    by: 'poll' | 'event',
    log: Logger,
  ): Promise<{ settled: boolean; outcome: Outcome }> {
    const outcome = outcomeOf(campaignId, status, lastError);
    const now = Date.now();
    const fields: Record<string, string | number> = outcome.ok
      ? { status: 'running', cxoneStatus: status, runningAt: now }
      : { status: 'failed', cxoneStatus: status, errorCode: outcome.code, error: outcome.message, ...(lastError ? { lastError: JSON.stringify(lastError) } : {}) };
    const settled = await deps.launches.settle(launch.launchId, by, fields);
    if (!settled) {
      // The breaker, audit and metrics belong to the claim; pacing is repeated.
      const current = launch.spec.autoPacing ? await deps.launches.get(launch.launchId) : undefined;
      if (current) await ensurePacing(current);
      return { settled, outcome };
    }
    await deps.breakers.record(campaignId, outcome.ok);
    const result = outcome.ok ? 'running' : status === 'STOPPED' ? 'stopped' : 'error';
    deps.metrics?.campaignLaunches.inc({ result });
    if (outcome.ok && launch.startRequestedAt) deps.metrics?.campaignStartSeconds.observe((now - launch.startRequestedAt) / 1000);
    await deps.audit.append({
      kind: 'campaign.launch',
      accountId: deps.accountId,
      campaignId,
      entityId: launch.launchId,
      status: result,
      ...(launch.startRequestedAt ? { latencyMs: now - launch.startRequestedAt } : {}),
      ...(outcome.ok ? {} : { errorCode: outcome.code }),
    });
    if (outcome.ok) {
      log.info({ campaignId, launchId: launch.launchId, by }, `Campaign ${campaignId} is running successfully`);
      if (launch.spec.autoPacing) await deps.startPacing?.(launch, campaignId);
    } else {
      log.warn({ campaignId, launchId: launch.launchId, by, code: outcome.code, lastError }, outcome.message);
    }
    return { settled, outcome };
  }

  return Object.assign(settle, { ensurePacing });
}

export type LaunchSettler = ReturnType<typeof createLaunchSettler>;
