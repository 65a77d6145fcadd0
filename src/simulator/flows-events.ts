// flow.* events to event subscriptions, each signed with the secret of the subscription it
// goes to (the shared webhook sender signs with one configured secret, which is right for
// /api/v2/webhooks but not here). Attempts double their delay like the shared sender; one
// AbortController cancels everything on reset and close.
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { signWebhook } from '../webhook-signature.ts';
import type { SimLogger } from './config.ts';
import { EVENT_DEFAULTS } from './flows-config.ts';
import type { FlowsConfig } from './flows-config.ts';
import type { FlowEvent } from './flows-schemas.ts';

export interface FlowEventStats {
  /** Deliveries acknowledged with 2xx, by event type. */
  sent: Record<string, number>;
  /** Deliveries given up on after the last attempt. */
  failed: number;
  pending: number;
}

export interface FlowEventSender {
  send(target: { url: string; secret: string }, event: FlowEvent): void;
  stats(): FlowEventStats;
  reset(): void;
  close(): Promise<void>;
}

export function createFlowEventSender(deps: { config: () => FlowsConfig['events']; logger: SimLogger }): FlowEventSender {
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 16 });
  const fresh = (): FlowEventStats => ({ sent: {}, failed: 0, pending: 0 });
  const controller = () => {
    const c = new AbortController();
    setMaxListeners(0, c.signal);
    return c;
  };
  let abort = controller();
  let counters = fresh();
  let closed = false;

  async function attempt(url: string, raw: string, secret: string, timeoutMs: number, signal: AbortSignal): Promise<string | null> {
    try {
      const res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'cxone-simulator', ...signWebhook(secret, raw) },
        body: raw,
        dispatcher: agent,
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      await res.body.dump();
      return res.statusCode >= 200 && res.statusCode < 300 ? null : `HTTP ${res.statusCode}`;
    } catch (err) {
      return (err as Error).message;
    }
  }

  async function deliver(target: { url: string; secret: string }, event: FlowEvent, signal: AbortSignal, c: FlowEventStats): Promise<void> {
    const cfg = { ...EVENT_DEFAULTS, ...deps.config() };
    const raw = JSON.stringify(event);
    await sleep(cfg.delayMs, undefined, { signal });
    for (let n = 1; ; n++) {
      const problem = await attempt(target.url, raw, target.secret, cfg.timeoutMs, signal);
      if (signal.aborted) return;
      if (problem === null) {
        c.sent[event.eventType] = (c.sent[event.eventType] ?? 0) + 1;
        return;
      }
      if (n >= cfg.maxAttempts) {
        c.failed++;
        deps.logger.warn({ url: target.url, eventType: event.eventType, attempts: n, problem }, 'simulator flow event delivery failed');
        return;
      }
      await sleep(cfg.retryDelayMs * 2 ** (n - 1), undefined, { signal });
    }
  }

  return {
    send(target, event) {
      if (closed) return;
      const c = counters;
      c.pending++;
      void deliver(target, event, abort.signal, c)
        .catch(() => undefined) // an abort during a wait is a cancellation
        .finally(() => c.pending--);
    },
    stats: () => ({ ...counters, sent: { ...counters.sent } }),
    reset() {
      abort.abort();
      abort = controller();
      counters = fresh();
    },
    async close() {
      closed = true;
      abort.abort();
      await agent.destroy();
    },
  };
}
