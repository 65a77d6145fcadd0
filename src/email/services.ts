// The email pieces a producer (CLI, HTTP API) needs, over a fail-fast Redis connection:
// provision requests, step states, suppressions, health figures and the pause switch.
import { randomUUID } from 'node:crypto';
import { createAuditLog } from '../audit.ts';
import type { Config } from '../config.ts';
import { ValidationError } from '../errors.ts';
import type { Enqueuer } from '../queues/enqueue.ts';
import type { PayloadOf } from '../queues/registry.ts';
import type { QueueSet } from '../queues/queue-set.ts';
import type { RedisConnection } from '../redis.ts';
import { createPauseStore, readChannelHealth } from './health.ts';
import { channelRef, emailJobIds } from './keys.ts';
import { createProvisionState, type ProvisionState } from './provision-state.ts';
import { createEmailSettings } from './settings.ts';
import { createSpecStore, secretRefsOf, type LoadedSpec } from './spec-store.ts';
import { createSuppressionStore } from './suppression-store.ts';

/** Activation polls, deadline and health period of a request; absent ones take the payload's defaults. */
export type ProvisionOptions = Partial<Pick<PayloadOf<'emailProvision'>, 'pollBaseMs' | 'pollMaxMs' | 'activationTimeoutMs' | 'healthEveryMs'>>;

export interface ChannelStatus {
  state: ProvisionState;
  paused: { reason: string; pausedAt: number } | undefined;
  health: Awaited<ReturnType<typeof readChannelHealth>>;
}

export function createEmailServices(deps: { config: Config; redis: RedisConnection; enqueuer: Enqueuer; queues?: QueueSet }) {
  const { redis } = deps;
  const prefix = deps.config.redis.prefix;
  const accountId = deps.config.cxone.accountId;
  const specs = createSpecStore({ redis, prefix });
  const state = createProvisionState({ redis, prefix });
  const suppressions = createSuppressionStore({ redis, prefix });
  const settings = createEmailSettings({ redis, prefix });
  const pauses = createPauseStore({ redis, prefix });
  const audit = createAuditLog({ redis, prefix });

  async function mustGet(name: string): Promise<ProvisionState> {
    const s = await state.get(name);
    if (!s) throw new ValidationError('channel', [{ path: 'name', message: `no provisioned channel named "${name}"` }]);
    return s;
  }

  return {
    specs,
    state,
    suppressions,
    settings,
    pauses,
    audit,

    /**
     * Stores the redacted spec and its secret references, records the request and
     * enqueues the provision job. Inline secrets are refused (ValidationError naming them).
     */
    async provision(spec: LoadedSpec, baseDir: string, opts: ProvisionOptions & { requestId?: string } = {}) {
      const secrets = secretRefsOf(spec.resolved, baseDir);
      await specs.put(spec.specKey, spec.redacted, secrets);
      const name = spec.redacted.name;
      const recorded = await state.request(name, spec.specKey, spec.redacted.rules.length);
      const job = await deps.enqueuer.enqueue(
        'emailProvision',
        { accountId, requestId: opts.requestId, specKey: spec.specKey, channelName: name, ...stripUndefined(opts) },
        // A fresh job per request, since a re-run must run again to pick up a failed
        // activation or a new rule; a request while one runs for the same spec joins it.
        { jobId: `email.${channelRef(name)}.req.${randomUUID()}`, deduplication: { id: emailJobIds.provisionDedup(name, spec.specKey) } },
      );
      return { channelName: name, specKey: spec.specKey, jobId: String(job.id), state: recorded };
    },

    async status(name: string): Promise<ChannelStatus | undefined> {
      const s = await state.get(name);
      if (!s) return undefined;
      const paused = s.channelId ? await pauses.get(s.channelId) : undefined;
      const health = s.channelId ? await readChannelHealth(redis, prefix, s.channelId) : undefined;
      return { state: s, paused, health };
    },

    async resume(name: string): Promise<boolean> {
      const s = await mustGet(name);
      if (!s.channelId) return false;
      const resumed = await pauses.resume(s.channelId);
      if (resumed) await audit.append({ kind: 'email.channel.resumed', accountId, entityId: name, cxoneId: s.channelId, status: 'resumed' });
      return resumed;
    },

    async channelId(name: string): Promise<string> {
      const s = await mustGet(name);
      if (!s.channelId) throw new ValidationError('channel', [{ path: 'name', message: `channel "${name}" has no CXone id yet (step ${s.step})` }]);
      return s.channelId;
    },

    /** Removes the health schedule of a channel, e.g. before deleting it. */
    async unscheduleHealth(channelId: string): Promise<void> {
      await deps.queues?.get('emailHealth').removeJobScheduler(emailJobIds.healthScheduler(channelId));
    },
  };
}

export type EmailServices = ReturnType<typeof createEmailServices>;

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== undefined && k !== 'requestId')) as Partial<T>;
}

/** Worker side: the repeatable health job of a channel (an upsert, so repeats are harmless). */
export function createHealthScheduler(deps: { queues: QueueSet; accountId: string }) {
  return async (channelId: string, channelName: string, everyMs: number) => {
    await deps.queues
      .get('emailHealth')
      .upsertJobScheduler(emailJobIds.healthScheduler(channelId), { every: everyMs }, { name: 'email-health', data: { accountId: deps.accountId, channelId, channelName } });
  };
}
