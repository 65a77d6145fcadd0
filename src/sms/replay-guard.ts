// `dlq replay sms-send`: a dead send job is replayed only for a message CXone may not have
// (`failed` before CXone gave it an id, or `unknown`), and the message is reopened to
// 'queued' first, or its job would skip it as settled (a chunk: for each of its messages).
// The reopen is the one backward step in the message lifecycle, made only here and
// audited. The job keeps its idempotency key, so a message CXone did take answers with the
// same id and is not sent twice.
import { createAuditLog, type AuditLog } from '../audit.ts';
import { reopenForReplay } from '../domain/sms/message-state.ts';
import type { ReplayGuard, ReplayGuardTable } from '../dead-letters.ts';
import { maskPhone } from '../mask.ts';
import type { MessageStore } from './message-store.ts';
import { createConfiguredMessageStore } from './services.ts';

type MessageRef = { messageId?: unknown; campaignId?: unknown; to?: unknown };

export function createSmsReplayGuard(deps: { store: MessageStore; audit: AuditLog; accountId: string }): ReplayGuard {
  /** Whether one message may go out again; reopens it (audited) unless this is a dry run. */
  async function admit(data: MessageRef, jobId: string, dryRun: boolean): ReturnType<ReplayGuard> {
    const messageId = data.messageId;
    if (typeof messageId !== 'string') return { replay: false, reason: 'job data has no messageId' };
    let verdict;
    if (dryRun) {
      const msg = await deps.store.getMessage(messageId);
      verdict = reopenForReplay(msg?.state, !!msg?.cxoneId);
    } else {
      verdict = await deps.store.reopenForReplay(messageId);
    }
    if (verdict.action === 'skip') return { replay: false, reason: verdict.reason };
    if (verdict.action === 'reopen' && !dryRun) {
      await deps.audit.append({
        kind: 'sms.replay',
        accountId: deps.accountId,
        campaignId: typeof data.campaignId === 'string' ? data.campaignId : undefined,
        recipient: typeof data.to === 'string' ? maskPhone(data.to) : undefined,
        messageId,
        entityId: jobId,
        status: `reopened from ${verdict.from}`,
      });
    }
    return { replay: true };
  }

  return async (job, dryRun) => {
    const data = job.data as (MessageRef & { kind?: unknown; messages?: unknown }) | null;
    if (data?.kind !== 'chunk') return admit(data ?? {}, String(job.id), dryRun);
    // A chunk that failed as a whole: it goes again if any of its messages may.
    const messages = Array.isArray(data.messages) ? (data.messages as MessageRef[]) : [];
    let refused = 'chunk has no messages';
    let replay = false;
    for (const m of messages) {
      const v = await admit(m, String(job.id), dryRun);
      if (v.replay) replay = true;
      else refused = v.reason;
    }
    return replay ? { replay: true } : { replay: false, reason: refused };
  };
}

/** The SMS domain's replay guards (its manifest lists them): only sms-send must change state first. */
export const SMS_REPLAY_GUARDS: ReplayGuardTable = {
  smsSend: (deps) => createSmsReplayGuard({
    store: createConfiguredMessageStore(deps.config, deps.redis),
    audit: createAuditLog({ redis: deps.redis, prefix: deps.config.redis.prefix }),
    accountId: deps.config.cxone.accountId,
  }),
};
