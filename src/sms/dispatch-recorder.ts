// The dispatches a process's chunks make, recorded together: one script a batch every
// `windowMs` instead of one a message (the record was the largest Redis cost of an SMS
// after the booking; docs/adr/0004-sms-cpu.md). Until its window closes a dispatch lives
// only in this process: a crash then re-sends it under its idempotency key, which CXone
// answers with the id it gave, and a receipt that comes first is parked until it is recorded.
import type { MessageStore, TransitionItem } from './message-store.ts';

export function createDispatchRecorder(store: Pick<MessageStore, 'transitionMany'>, windowMs: number) {
  const open = new Map<string, { items: TransitionItem[]; written: Promise<void> }>();
  return {
    /** Resolves once the dispatch is written (with the others of its batch in the window). */
    record(batchId: string, item: TransitionItem): Promise<void> {
      let window = open.get(batchId);
      if (!window) {
        const items: TransitionItem[] = [];
        const written = new Promise<void>((resolve, reject) => {
          setTimeout(() => {
            open.delete(batchId);
            store.transitionMany(batchId, items).then(() => resolve(), reject);
          }, windowMs);
        });
        // Every chunk that recorded in the window awaits it; this only keeps a failure
        // from counting as unhandled before they do.
        written.catch(() => undefined);
        window = { items, written };
        open.set(batchId, window);
      }
      window.items.push(item);
      return window.written;
    },
  };
}
