// The SMS message lifecycle as a pure, monotonic state machine.
//
// Status events reach us out of order and more than once: CXone webhooks are retried,
// BullMQ jobs are retried, and a delivery receipt can overtake our own "dispatched"
// write. So a transition is accepted only when it moves a message forward, which makes
// applying any set of events order-independent and idempotent (a join on the rank order).
//
//   queued ─► unknown ─► dispatched ─► sent ─► no-receipt ─► undelivered | failed ─► delivered
//      │                                   (each arrow may skip the states between)
//      └─► expired | rejected (never left us)
//
// 'unknown': every send attempt ran out and at least one may have reached CXone (a response
// timeout or a reset after the request was written). Not terminal: reconciliation (CXone
// asked by idempotency key or message id) or a late receipt moves it on, since every state
// CXone can report ranks above it; only the receipt deadline ends it, as 'no-receipt'.
// 'no-receipt': CXone has the message but no final status came by the receipt deadline.
// Terminal (a follower stops waiting), but ranked below CXone's final statuses so a late
// real receipt still corrects it; a late 'sent' does not reopen it.
//
// Conflicting terminal states, the rule: a carrier's definitive success wins.
//   - 'delivered' overrides every other terminal state. A delivery receipt is proof the
//     handset got the message, whereas failure reports can be provisional (SMSCs report
//     'undelivered' while a handset is off, then retry and deliver), and a success after
//     our own 'expired'/'rejected' means the message did go out after all; the record
//     must match what the recipient saw (and what was billed).
//   - Among the failure terminals (undelivered, failed, expired, rejected) the first one
//     wins; later failure reports are ignored. None of them overrides 'delivered'.
//   - 'expired' and 'rejected' describe a message that never left us (validity passed
//     before send; refused at validation or by the send call). Once CXone may have it
//     ('unknown', 'dispatched' or later), only CXone's own statuses can finish it, so these
//     two are ignored from then on.
//
// The one way back is replay (reopenForReplay): an operator re-drives a 'failed' or
// 'unknown' message to 'queued' on purpose, with the same idempotency key, so CXone answers
// a message it already has with the same id instead of sending it again. It is a separate,
// audited operation, never a transition a status event can cause.

export const MESSAGE_STATES = [
  'queued',
  'unknown',
  'dispatched',
  'sent',
  'delivered',
  'undelivered',
  'failed',
  'expired',
  'rejected',
  'no-receipt',
] as const;

export type MessageState = (typeof MESSAGE_STATES)[number];

interface StateRule {
  /** A transition is accepted only to a strictly higher rank. */
  readonly rank: number;
  /** No further progress is expected (only a later 'delivered' can still correct it). */
  readonly terminal: boolean;
  /** Accepted only while the message has not been handed to CXone (state queued or none). */
  readonly beforeDispatchOnly: boolean;
}

/**
 * The whole policy. Exported so an atomic Redis (Lua) implementation can be generated
 * from the same numbers instead of re-stating them.
 */
export const MESSAGE_STATE_RULES = {
  queued: { rank: 0, terminal: false, beforeDispatchOnly: false },
  unknown: { rank: 1, terminal: false, beforeDispatchOnly: false },
  dispatched: { rank: 2, terminal: false, beforeDispatchOnly: false },
  sent: { rank: 3, terminal: false, beforeDispatchOnly: false },
  'no-receipt': { rank: 4, terminal: true, beforeDispatchOnly: false },
  undelivered: { rank: 5, terminal: true, beforeDispatchOnly: false },
  failed: { rank: 5, terminal: true, beforeDispatchOnly: false },
  expired: { rank: 5, terminal: true, beforeDispatchOnly: true },
  rejected: { rank: 5, terminal: true, beforeDispatchOnly: true },
  delivered: { rank: 6, terminal: true, beforeDispatchOnly: false },
} as const satisfies Record<MessageState, StateRule>;

const KNOWN: ReadonlySet<string> = new Set(MESSAGE_STATES);

/** Narrow an external status string (webhook, Redis) before applying it. */
export function isMessageState(value: unknown): value is MessageState {
  return typeof value === 'string' && KNOWN.has(value);
}

export function isTerminal(state: MessageState): boolean {
  return MESSAGE_STATE_RULES[state].terminal;
}

/**
 * The state after `next` is observed. `changed: false` means the event is a duplicate,
 * late, or otherwise superseded, and should be recorded (audit) but not acted on.
 */
export function applyTransition(
  current: MessageState | undefined,
  next: MessageState,
): { state: MessageState; changed: boolean } {
  // No record yet: accept anything, including a receipt that beat our 'queued' write.
  if (current === undefined) return { state: next, changed: true };
  const from = MESSAGE_STATE_RULES[current];
  const to = MESSAGE_STATE_RULES[next];
  if (to.beforeDispatchOnly && from.rank > MESSAGE_STATE_RULES.queued.rank) {
    return { state: current, changed: false };
  }
  // Equal rank covers duplicates and first-failure-wins; lower rank is a late event.
  if (to.rank <= from.rank) return { state: current, changed: false };
  return { state: next, changed: true };
}

/** The states replay may send again: `failed` only while CXone never took it (no CXone id). */
export const REPLAYABLE_STATES = ['failed', 'unknown'] as const satisfies readonly MessageState[];

export type ReplayVerdict =
  | { action: 'reopen'; from: MessageState }
  /** Still 'queued' (its final failure was never recorded): send it, nothing to reopen. */
  | { action: 'resend' }
  | { action: 'skip'; reason: string };

const NOT_REPLAYABLE: Partial<Record<MessageState, string>> = {
  rejected: 'rejected: refused for good (invalid request or opted out)',
  expired: 'expired: its validity period passed',
};

/**
 * Whether an operator's replay may move a message back to 'queued' to be sent again: only
 * a message CXone may not have ('unknown', or 'failed' before CXone gave it an id). The
 * same idempotency key goes with the resend, so one CXone did take is not sent twice.
 */
export function reopenForReplay(current: MessageState | undefined, hasCxoneId: boolean): ReplayVerdict {
  if (current === undefined) return { action: 'skip', reason: 'no message record (past its retention?)' };
  if (current === 'queued') return hasCxoneId ? { action: 'skip', reason: 'queued with a CXone id: sent already' } : { action: 'resend' };
  if ((REPLAYABLE_STATES as readonly MessageState[]).includes(current)) {
    return hasCxoneId
      ? { action: 'skip', reason: `${current}: CXone accepted it and reported it failed; the same key would not send it again` }
      : { action: 'reopen', from: current };
  }
  return { action: 'skip', reason: NOT_REPLAYABLE[current] ?? `${current}: CXone has it` };
}
