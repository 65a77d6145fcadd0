// The SMS message lifecycle as a pure, monotonic state machine.
//
// Status events reach us out of order and more than once: CXone webhooks are retried,
// BullMQ jobs are retried, and a delivery receipt can overtake our own "dispatched"
// write. So a transition is accepted only when it moves a message forward, which makes
// applying any set of events order-independent and idempotent (a join on the rank order).
//
//   queued ─► dispatched ─► sent ─► undelivered | failed ─┐
//      │                       └──────────────────────────┴─► delivered
//      └─► expired | rejected (never left us)
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
//     before send; refused at validation or by the send call). Once CXone has accepted it
//     ('dispatched' or later), only CXone's own statuses can finish it, so these two are
//     ignored from then on.

export const MESSAGE_STATES = [
  'queued',
  'dispatched',
  'sent',
  'delivered',
  'undelivered',
  'failed',
  'expired',
  'rejected',
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
  dispatched: { rank: 1, terminal: false, beforeDispatchOnly: false },
  sent: { rank: 2, terminal: false, beforeDispatchOnly: false },
  undelivered: { rank: 3, terminal: true, beforeDispatchOnly: false },
  failed: { rank: 3, terminal: true, beforeDispatchOnly: false },
  expired: { rank: 3, terminal: true, beforeDispatchOnly: true },
  rejected: { rank: 3, terminal: true, beforeDispatchOnly: true },
  delivered: { rank: 4, terminal: true, beforeDispatchOnly: false },
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
