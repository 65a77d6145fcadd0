// The campaign pieces a producer (CLI, HTTP API, library) needs, over a fail-fast Redis
// connection: launch requests, launch and campaign views, pacing and stop requests, the
// summary and the compliance view. Producers never call CXone: they enqueue operations and
// read what the workers recorded.
import { randomUUID } from 'node:crypto';
import type { Config } from '../config.ts';
import { abandonWindows } from '../domain/campaigns/pacing.ts';
import { launchSpecSchema, type LaunchSpec } from '../domain/campaigns/launch.ts';
import { ValidationError, zodIssuesToFields } from '../errors.ts';
import type { Enqueuer } from '../queues/enqueue.ts';
import type { InputOf } from '../queues/registry.ts';
import type { RedisConnection } from '../redis.ts';
import { createDialerBreakers } from './dialer-breaker.ts';
import { campaignJobIds } from './keys.ts';
import { createLaunchStore, type LaunchRecord } from './launch-store.ts';
import { budgetLeft } from './pacing-processor.ts';
import { createPacingStore } from './pacing-store.ts';

export interface LaunchOptions {
  launchId?: string | undefined;
  requestId?: string | undefined;
  pollIntervalMs?: number | undefined;
  pollJitterMs?: number | undefined;
  startTimeoutMs?: number | undefined;
}

const LAUNCH_ID = /^[A-Za-z0-9_.-]{1,100}$/;

export function parseLaunchSpec(input: unknown): LaunchSpec {
  const parsed = launchSpecSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError('campaign launch spec', zodIssuesToFields(parsed.error.issues));
  return parsed.data;
}

export function createCampaignServices(deps: { config: Config; redis: RedisConnection; enqueuer: Enqueuer }) {
  const { redis, config } = deps;
  const prefix = config.redis.prefix;
  const accountId = config.cxone.accountId;
  const c = config.campaigns;
  const launches = createLaunchStore({ redis, prefix });
  const pacing = createPacingStore({ redis, prefix });
  const breakers = createDialerBreakers({ redis, prefix, settings: c.breaker });

  const enqueueOp = (data: InputOf<'campaignOperation'> & { campaignId: string }, requestId: string) =>
    deps.enqueuer.enqueue('campaignOperation', data, { jobId: campaignJobIds.operation(data.op, data.campaignId, requestId) });

  return {
    launches,
    pacing,
    breakers,

    /** Records the launch and enqueues its step job; the same launchId twice is one launch. */
    async launch(input: unknown, opts: LaunchOptions = {}): Promise<{ launchId: string; created: boolean; record: LaunchRecord }> {
      const spec = parseLaunchSpec(input);
      const launchId = opts.launchId ?? randomUUID();
      if (!LAUNCH_ID.test(launchId)) throw new ValidationError('launch', [{ path: 'launchId', message: 'letters, digits, _ . or -, at most 100' }]);
      const created = await launches.create(launchId, spec);
      if (created) {
        await deps.enqueuer.enqueue(
          'campaignOperation',
          {
            accountId,
            requestId: opts.requestId,
            op: 'launch',
            launchId,
            pollIntervalMs: opts.pollIntervalMs ?? c.poll.intervalMs,
            pollJitterMs: opts.pollJitterMs ?? c.poll.jitterMs,
            startTimeoutMs: opts.startTimeoutMs ?? c.startTimeoutMs,
          },
          { jobId: campaignJobIds.launch(launchId) },
        );
      }
      return { launchId, created, record: (await launches.get(launchId))! };
    },

    getLaunch: (launchId: string) => launches.get(launchId),

    /** A campaign launched by this fleet: its launch, pacing and dialer breaker. */
    async campaign(campaignId: string) {
      const launchId = await launches.byCampaignId(campaignId);
      const [launch, p, breaker] = await Promise.all([launchId ? launches.get(launchId) : undefined, pacing.get(campaignId), breakers.view(campaignId)]);
      if (!launch && !p) return undefined;
      return { campaignId, launch, pacing: p, breaker };
    },

    async setPacing(campaignId: string, change: { callsPerMinute?: number | undefined; policy?: 'seed' | 'seed+abandon-cap' | 'manual' | undefined }, requestId = randomUUID()) {
      const job = await enqueueOp({ accountId, requestId, op: 'set-pacing', campaignId, ...stripUndefined(change) }, requestId);
      return { jobId: String(job.id) };
    },

    async stop(campaignId: string, requestId = randomUUID()) {
      const job = await enqueueOp({ accountId, requestId, op: 'stop', campaignId }, requestId);
      return { jobId: String(job.id) };
    },

    async refreshSummary(campaignId: string, requestId = randomUUID()) {
      const job = await enqueueOp({ accountId, requestId, op: 'summary', campaignId }, requestId);
      return { jobId: String(job.id) };
    },

    summary: (campaignId: string) => pacing.summary(campaignId),

    /** Windows, budget left and the latest decisions, from the pacing checks' records. */
    async compliance(campaignId: string, decisions = 50) {
      const [p, samples, recent] = await Promise.all([pacing.get(campaignId), pacing.samples(campaignId), pacing.decisions(campaignId, decisions)]);
      if (!p) return undefined;
      const now = samples[samples.length - 1]?.t ?? Date.now();
      const windows = abandonWindows(samples, now);
      return {
        campaignId,
        policy: p.policy,
        callsPerMinute: p.cpm,
        status: p.status,
        limit: c.pacing.budget.limit,
        target: c.pacing.budget.target,
        minAnswered: c.pacing.budget.minAnswered,
        windows,
        budgetLeft: budgetLeft(windows, c.pacing.budget.limit),
        asOf: samples.length > 0 ? now : undefined,
        samples: samples.length,
        decisions: recent,
      };
    },
  };
}

export type CampaignServices = ReturnType<typeof createCampaignServices>;

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
