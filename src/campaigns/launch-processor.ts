// The launch of a campaign as one step job (campaign-operation, op "launch"):
// check the contact list -> create (Idempotency-Key; 409 on the name = the existing id) ->
// start (after a crash: read the status first, never a second start) -> poll the status with
// a fixed interval plus jitter (doubled after each 429 this launch met), each launch in its
// own slot of a grid the account's launches share (pollDelay), so launches started together
// poll evenly spread, not together, until a final status or the deadline. A campaign.status.changed event may settle the launch first; the next
// poll then finds it settled and ends as stale.
import type { AuditLog } from '../audit.ts';
import { campaignRequestOf, checkContactList, pollDelay, pollPhase } from '../domain/campaigns/launch.ts';
import { ErrorCode, PermanentError, RateLimitedError, isFleetError } from '../errors.ts';
import type { CampaignMetrics } from './metrics.ts';
import { createCampaign, getCampaign, getContactList, refusalMessage, refusalOf, startCampaign } from '../cxone/campaigns.ts';
import type { CxoneClient } from '../cxone/http.ts';
import type { PayloadOf } from '../queues/registry.ts';
import { defineStepJob, type StepContext } from '../queues/step-job.ts';
import { campaignJobIds } from './keys.ts';
import type { LaunchRecord, LaunchStore } from './launch-store.ts';
import { FINAL_STATUSES, type LaunchSettler } from './settle.ts';

export type LaunchStepName = 'created' | 'start-requested';
type LaunchPayload = Extract<PayloadOf<'campaignOperation'>, { op: 'launch' }>;
type Step = 'check' | 'create' | 'start' | 'poll';

interface LaunchJobState {
  campaignId?: string;
  startRequested?: boolean;
  /** 429s met by this launch's status polls. */
  rateLimited: number;
  /** Where in the poll period this launch's slot starts, [0, 1) (pollPhase). */
  pollPhase?: number;
}

export interface LaunchDeps {
  client: CxoneClient;
  launches: LaunchStore;
  settle: LaunchSettler;
  audit: AuditLog;
  accountId: string;
  dncMaxAgeDays: number;
  metrics?: CampaignMetrics | undefined;
  /** Called after each recorded step; tests use it to crash a worker between steps. */
  onStep?: ((step: LaunchStepName, launchId: string) => void | Promise<void>) | undefined;
  random?: (() => number) | undefined;
}

/** What the caller sent, as a permanent error that names CXone's answer. */
function refused(code: typeof ErrorCode.CampaignCreateFailed | typeof ErrorCode.CampaignStartFailed, what: string, err: unknown): unknown {
  const r = refusalOf(err);
  if (!r || (isFleetError(err) && err.retryable)) return err;
  const detail = refusalMessage(r.body);
  return new PermanentError(`${what} returned ${r.status}${detail ? `: ${detail}` : ''}`, { code, cause: err, details: { status: r.status } });
}

export function createLaunchProcessor(deps: LaunchDeps) {
  const random = deps.random ?? Math.random;
  const mustGet = async (launchId: string): Promise<LaunchRecord> => {
    const l = await deps.launches.get(launchId);
    if (!l) throw new PermanentError(`no launch ${launchId}`, { code: ErrorCode.Validation });
    return l;
  };
  type Ctx = StepContext<PayloadOf<'campaignOperation'>, LaunchJobState, Step>;
  const launchOf = (ctx: Ctx) => ctx.data as LaunchPayload;
  // The phase is drawn once, from the account's launch counter, when the first poll is planned.
  const phaseOf = async (ctx: Ctx): Promise<number> => {
    if (ctx.state.pollPhase !== undefined) return ctx.state.pollPhase;
    const phase = pollPhase(await deps.launches.nextPollSlot());
    await ctx.save({ pollPhase: phase });
    return phase;
  };
  const nextPoll = async (ctx: Ctx) => {
    const { pollIntervalMs: intervalMs, pollJitterMs: jitterMs } = launchOf(ctx);
    const wait = pollDelay(Date.now(), await phaseOf(ctx), ctx.state.rateLimited, { intervalMs, jitterMs }, random);
    return { wait, then: 'poll' as const };
  };

  return defineStepJob<'campaignOperation', Step, LaunchJobState>({
    first: 'check',
    initial: () => ({ rateLimited: 0 }),
    deadlineMs: (data) => (data as LaunchPayload).startTimeoutMs,
    steps: {
      async check(ctx) {
        const { launchId } = launchOf(ctx);
        const launch = await mustGet(launchId);
        await deps.launches.setStatus(launchId, 'checking');
        const id = launch.spec.contactListId;
        let list;
        try {
          list = await getContactList(deps.client, id, { signal: ctx.signal });
        } catch (err) {
          const r = refusalOf(err);
          if (r?.status === 404) throw new PermanentError(`contact list ${id} does not exist`, { code: ErrorCode.ContactListNotFound, cause: err });
          if (r && !(isFleetError(err) && err.retryable)) throw new PermanentError(`validation returned status ${r.status}`, { code: ErrorCode.ContactListInvalid, cause: err });
          throw err;
        }
        const verdict = checkContactList({ id, dncCompliant: list.dncCompliant, lastValidated: list.lastValidated }, Date.now(), deps.dncMaxAgeDays);
        if (!verdict.ok) throw new PermanentError(verdict.message, { code: verdict.code, details: { contactListId: id, lastValidated: list.lastValidated } });
        return { next: 'create' };
      },

      async create(ctx) {
        const { launchId } = launchOf(ctx);
        if (ctx.state.campaignId) return { next: 'start' };
        const launch = await mustGet(launchId);
        await deps.launches.setStatus(launchId, 'creating');
        let res;
        try {
          res = await createCampaign(deps.client, campaignRequestOf(launch.spec), { signal: ctx.signal, idempotencyKey: campaignJobIds.launch(launchId) });
        } catch (err) {
          throw refused(ErrorCode.CampaignCreateFailed, 'Create', err);
        }
        // The launch and its index first, the job's checkpoint last: a re-run that finds the
        // checkpoint skips this step, so what it stands for is written by then (a re-run
        // before it creates again under the same idempotency key and gets the same campaign).
        await deps.launches.setCampaign(launchId, res.id);
        await deps.audit.append({ kind: 'campaign.create', accountId: deps.accountId, campaignId: res.id, entityId: launchId, status: res.created ? 'created' : 'exists' });
        await ctx.save({ campaignId: res.id });
        ctx.log.info({ launchId, campaignId: res.id, created: res.created }, 'campaign recorded');
        await deps.onStep?.('created', launchId);
        return { next: 'start' };
      },

      // The start request is recorded before it is sent: a run that finds it recorded reads
      // the status and sends a start only if CXone shows none arrived.
      async start(ctx) {
        const data = launchOf(ctx);
        const campaignId = ctx.state.campaignId!;
        if (ctx.state.startRequested) {
          const current = await getCampaign(deps.client, campaignId, { signal: ctx.signal });
          if (current.status && current.status !== 'CREATED') {
            ctx.log.info({ campaignId, status: current.status }, 'start already sent: polling');
            return nextPoll(ctx);
          }
        }
        await ctx.save({ startRequested: true });
        await deps.launches.setStatus(data.launchId, 'starting', { startRequestedAt: Date.now() });
        try {
          const r = await startCampaign(deps.client, campaignId, { signal: ctx.signal });
          if (r.alreadyStarted) ctx.log.info({ campaignId }, 'start answered 409: already started');
        } catch (err) {
          throw refused(ErrorCode.CampaignStartFailed, 'Start', err);
        }
        await deps.launches.setStatus(data.launchId, 'polling');
        await deps.onStep?.('start-requested', data.launchId);
        return nextPoll(ctx);
      },

      async poll(ctx) {
        const data = launchOf(ctx);
        const campaignId = ctx.state.campaignId!;
        const before = await mustGet(data.launchId);
        if (before.settledBy) {
          await deps.settle.ensurePacing(before);
          return { done: true, result: { campaignId, status: before.cxoneStatus, stale: true, settledBy: before.settledBy } };
        }
        let body;
        try {
          body = await getCampaign(deps.client, campaignId, { signal: ctx.signal });
        } catch (err) {
          if (err instanceof RateLimitedError) {
            await ctx.save({ rateLimited: ctx.state.rateLimited + 1 });
            await deps.launches.recordRateLimited(data.launchId);
          }
          throw err;
        }
        if (!body.status) throw new PermanentError('status field missing in response', { code: ErrorCode.CxoneBadResponse, details: { campaignId } });
        const status = body.status.toUpperCase();
        await deps.launches.recordPoll(data.launchId, status);
        deps.metrics?.campaignStatusPolls.inc({ status });
        if (!FINAL_STATUSES.has(status)) return nextPoll(ctx);
        const launch = await mustGet(data.launchId);
        const { settled, outcome } = await deps.settle(launch, campaignId, status, body.lastError, 'poll', ctx.log);
        if (!settled) return { done: true, result: { campaignId, status, stale: true } };
        if (!outcome.ok) throw new PermanentError(outcome.message, { code: outcome.code, details: { campaignId, status } });
        return { done: true, result: { campaignId, status } };
      },
    },

    async deadlineDetail(ctx) {
      if (ctx.step !== 'poll') return undefined;
      const l = await deps.launches.get(launchOf(ctx).launchId);
      const since = l?.startRequestedAt ?? l?.createdAt ?? Date.now();
      return `campaign ${ctx.state.campaignId} still ${l?.cxoneStatus ?? 'QUEUED'} after ${l?.polls ?? 0} polls over ${Math.round((Date.now() - since) / 1000)} s`;
    },

    async onFinalFailure(data, err, { log }) {
      const { launchId } = data as LaunchPayload;
      const code = isFleetError(err) ? err.code : ErrorCode.Unexpected;
      const message = err instanceof Error ? err.message : String(err);
      const launch = await deps.launches.get(launchId);
      if (launch?.settledBy) return;
      await deps.launches.fail(launchId, code, message);
      const result = code === ErrorCode.Deadline ? 'timeout' : code.startsWith('CONTACT_LIST') ? 'invalid' : 'failed';
      deps.metrics?.campaignLaunches.inc({ result });
      await deps.audit.append({ kind: 'campaign.launch', accountId: deps.accountId, campaignId: launch?.campaignId, entityId: launchId, status: result, errorCode: code });
      log.warn({ launchId, campaignId: launch?.campaignId, code }, `campaign launch failed: ${message}`);
    },
  });
}
