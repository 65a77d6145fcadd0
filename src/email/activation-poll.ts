// An email channel's activation poll: one GET per job, never a sleep. PENDING before the
// deadline enqueues the next poll as a delayed job (full-jitter backoff, capped at the
// deadline); ACTIVE records it and enqueues the provision job again to create the rules;
// FAILED, or PENDING at the deadline, fails the job for good with the likely causes.
import type { AuditLog } from '../audit.ts';
import { ErrorCode, PermanentError, type ErrorCodeValue } from '../errors.ts';
import type { JobContext } from '../queues/define-worker.ts';
import type { Enqueuer } from '../queues/enqueue.ts';
import type { PayloadOf } from '../queues/registry.ts';
import type { CxoneClient } from '../cxone/http.ts';
import { getEmailChannel } from '../cxone/email.ts';
import { fullJitterDelay } from './backoff.ts';
import { emailJobIds } from './keys.ts';
import type { ProvisionStateStore } from './provision-state.ts';

export const LIKELY_ACTIVATION_CAUSES =
  'likely causes: the SMTP credentials (host, port, username, password) are wrong or the relay refuses them; the DKIM private key is not in a format CXone accepts (PEM, RSA 1024-4096 or ed25519) or does not match the published DNS record';

const ACTIVE = new Set(['ACTIVE', 'ENABLED']);
const FAILED = new Set(['FAILED', 'ERROR', 'REJECTED', 'DISABLED']);

export interface ActivationPollDeps {
  client: CxoneClient;
  state: ProvisionStateStore;
  enqueuer: Enqueuer;
  audit: AuditLog;
  accountId: string;
  now?: () => number;
  random?: () => number;
}

function describeError(e: unknown): string {
  if (e === undefined || e === null) return 'no reason given';
  if (typeof e === 'string') return e;
  const o = e as Record<string, unknown>;
  const msg = o.errorMessage ?? o.message;
  const code = o.errorCode ?? o.code;
  if (typeof msg === 'string') return code === undefined ? msg : `${typeof code === 'string' ? code : JSON.stringify(code)}: ${msg}`;
  return JSON.stringify(e);
}

export function createEmailActivationPoll(deps: ActivationPollDeps) {
  const now = deps.now ?? Date.now;

  return async (data: PayloadOf<'activationPoll'>, { signal, log, job, attempt }: JobContext) => {
    const name = data.channelName;
    if (!name || data.run === undefined) throw new PermanentError('email-channel poll without channelName/run', { code: ErrorCode.Validation });
    const s = await deps.state.get(name);
    // A poll of an older run (the channel was re-provisioned) or of a settled activation.
    if (!s || s.activationId === undefined || emailJobIds.pollOwner(name, s.activationId) !== data.ownerId || s.activation !== 'pending') return { stale: true };

    const fail = async (message: string, code: ErrorCodeValue) => {
      await deps.state.fail(name, message, true);
      await deps.audit.append({ kind: 'email.channel.activation', accountId: deps.accountId, status: 'failed', entityId: name, cxoneId: data.resourceId, errorCode: code });
      log.warn({ channel: name, channelId: data.resourceId, polls: data.poll, code }, 'email channel activation failed');
      return new PermanentError(message, { code, details: { channel: name, channelId: data.resourceId, polls: data.poll } });
    };

    let channel;
    try {
      channel = await getEmailChannel(deps.client, data.resourceId, { signal });
    } catch (err) {
      // On the last attempt the chain would end silently: record it, so a new request
      // starts a new run instead of waiting for polls that no longer exist.
      if (attempt >= (job.opts.attempts ?? 1)) await deps.state.fail(name, `activation poll failed: ${(err as Error).message}`, true);
      throw err;
    }
    const state = channel.state.toUpperCase();
    await deps.state.recordPoll(name, state);

    if (ACTIVE.has(state)) {
      await deps.state.activate(name, state);
      await deps.audit.append({ kind: 'email.channel.activation', accountId: deps.accountId, status: 'active', entityId: name, cxoneId: data.resourceId, latencyMs: now() - data.startedAt });
      const o = s.options;
      await deps.enqueuer.enqueue(
        'emailProvision',
        {
          accountId: data.accountId,
          requestId: data.requestId,
          specKey: s.specKey,
          channelName: name,
          pollBaseMs: o.pollBaseMs,
          pollMaxMs: o.pollMaxMs,
          activationTimeoutMs: o.activationTimeoutMs,
          healthEveryMs: o.healthEveryMs,
        },
        { jobId: emailJobIds.afterActivation(data.ownerId) },
      );
      log.info({ channel: name, channelId: data.resourceId, polls: data.poll }, 'email channel active');
      return { state, polls: data.poll };
    }
    if (FAILED.has(state)) {
      throw await fail(`email channel "${name}" (${data.resourceId}) is ${state}: ${describeError(channel.lastError)}; ${LIKELY_ACTIVATION_CAUSES}`, 'ACTIVATION_FAILED');
    }
    const t = now();
    if (t >= data.deadline) {
      const waited = Math.round((t - data.startedAt) / 1000);
      throw await fail(
        `email channel "${name}" (${data.resourceId}) still ${state} after ${data.poll} polls over ${waited} s (deadline passed); ${LIKELY_ACTIVATION_CAUSES}`,
        ErrorCode.Deadline,
      );
    }
    // The last poll lands on the deadline, so a channel that never activates fails on time.
    const delay = Math.min(fullJitterDelay(data.baseDelayMs, data.poll, data.maxDelayMs, deps.random), Math.max(1, data.deadline - t));
    await deps.enqueuer.enqueue('activationPoll', { ...data, poll: data.poll + 1 }, { jobId: emailJobIds.poll(data.ownerId, data.poll + 1), delay });
    return { state, polls: data.poll, nextInMs: delay };
  };
}
