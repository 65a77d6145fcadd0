// Outbound webhooks, signed like CXone's and retried as configured (a number of attempts
// with doubling waits, an explicit schedule, or none at all, as real CXone documents), so
// the ingress's "answer 503 when Redis is down and be retried" path can be exercised end to
// end; a drop rate loses receipts on purpose, so the fleet's reconciliation can be.
// Every wait is an abortable timer on one AbortController: reset() and close() cancel
// all pending deliveries at once, and a cancelled delivery never touches the new counters.
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { signWebhook } from '../webhook-signature.ts';
import type { SimLogger, WebhookConfig } from './config.ts';

/** Builds one event's payload when it is first sent, so its timestamp is the send time. */
export type EventFactory = () => Record<string, unknown>;

export interface WebhookStats {
  /** Events accepted for delivery since reset. */
  scheduled: number;
  /** Events a receiver acknowledged with 2xx. */
  sent: number;
  /** Events given up on after the last attempt (network error, timeout or non-2xx). */
  failed: number;
  /** Failed attempts that were tried again. */
  retried: number;
  /** Events not yet sent nor given up on. */
  pending: number;
  /** Events lost on purpose (dropRate): never sent. */
  dropped: number;
}

export interface WebhookSender {
  /**
   * Delivers each chain's events in order (e.g. 'sent' then 'delivered'), chains in
   * parallel, after the configured delay. The URL is the override or the configured one;
   * returns false when there is nowhere to send.
   */
  dispatch(urlOverride: string | undefined, chains: readonly (readonly EventFactory[])[]): boolean;
  stats(): WebhookStats;
  reset(): void;
  close(): Promise<void>;
}

export const WEBHOOK_DEFAULTS = { delayMs: 50, maxAttempts: 3, retryDelayMs: 100, timeoutMs: 5000 } as const;

interface Delivery {
  url: string;
  secret: string | undefined;
  maxAttempts: number;
  /** Wait before retry n (1-based). */
  retryWait: (attempt: number) => number;
  dropRate: number;
  timeoutMs: number;
  signal: AbortSignal;
  counters: WebhookStats;
}

const fresh = (): WebhookStats => ({ scheduled: 0, sent: 0, failed: 0, retried: 0, pending: 0, dropped: 0 });

/** Attempts and waits from the config: an explicit schedule wins over attempts + doubling. */
export function retryPolicy(cfg: WebhookConfig | null): Pick<Delivery, 'maxAttempts' | 'retryWait'> {
  const schedule = cfg?.retryScheduleMs;
  if (schedule) return { maxAttempts: schedule.length + 1, retryWait: (attempt) => schedule[attempt - 1] ?? 0 };
  const base = cfg?.retryDelayMs ?? WEBHOOK_DEFAULTS.retryDelayMs;
  return { maxAttempts: cfg?.maxAttempts ?? WEBHOOK_DEFAULTS.maxAttempts, retryWait: (attempt) => base * 2 ** (attempt - 1) };
}

export function createWebhookSender(deps: {
  getConfig: () => WebhookConfig | null;
  logger: SimLogger;
}): WebhookSender {
  const { logger } = deps;
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 64, connect: { timeout: 5000 } });
  // One controller cancels every pending delivery on reset/close; thousands may wait on it.
  const newController = () => {
    const c = new AbortController();
    setMaxListeners(0, c.signal);
    return c;
  };
  let controller = newController();
  let counters = fresh();
  let closed = false;

  async function deliverOne(d: Delivery, raw: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      let problem: string;
      try {
        const headers: Record<string, string> = {
          'content-type': 'application/json',
          'user-agent': 'cxone-simulator',
          ...(d.secret ? signWebhook(d.secret, raw) : {}),
        };
        const res = await request(d.url, {
          method: 'POST',
          headers,
          body: raw,
          dispatcher: agent,
          signal: d.signal,
          headersTimeout: d.timeoutMs,
          bodyTimeout: d.timeoutMs,
        });
        await res.body.dump();
        if (res.statusCode >= 200 && res.statusCode < 300) {
          d.counters.sent++;
          return;
        }
        problem = `HTTP ${res.statusCode}`;
      } catch (err) {
        if (d.signal.aborted) return;
        problem = (err as Error).message;
      }
      if (attempt >= d.maxAttempts) {
        d.counters.failed++;
        logger.warn({ url: d.url, attempts: attempt, problem }, 'simulator webhook delivery failed');
        return;
      }
      d.counters.retried++;
      logger.debug({ url: d.url, attempt, problem }, 'simulator webhook attempt failed, retrying');
      await sleep(d.retryWait(attempt), undefined, { signal: d.signal });
    }
  }

  async function runChain(d: Delivery, chain: readonly EventFactory[]): Promise<void> {
    try {
      for (const make of chain) {
        if (d.signal.aborted) return;
        if (d.dropRate > 0 && Math.random() < d.dropRate) d.counters.dropped++;
        else await deliverOne(d, JSON.stringify(make()));
        d.counters.pending--;
      }
    } catch (err) {
      // An abort during a retry wait is a cancellation, not a failure.
      if (!d.signal.aborted) logger.error({ err }, 'simulator webhook chain crashed');
    }
  }

  return {
    dispatch(urlOverride, chains) {
      if (closed) return false;
      const cfg = deps.getConfig();
      const url = urlOverride ?? cfg?.url;
      if (!url || chains.length === 0) return false;
      if (!cfg?.secret) logger.debug({ url }, 'no webhook secret configured: sending unsigned');
      const d: Delivery = {
        url,
        secret: cfg?.secret,
        ...retryPolicy(cfg),
        dropRate: cfg?.dropRate ?? 0,
        timeoutMs: cfg?.timeoutMs ?? WEBHOOK_DEFAULTS.timeoutMs,
        signal: controller.signal,
        counters,
      };
      const events = chains.reduce((n, c) => n + c.length, 0);
      counters.scheduled += events;
      counters.pending += events;
      void sleep(cfg?.delayMs ?? WEBHOOK_DEFAULTS.delayMs, undefined, { signal: d.signal }).then(
        () => Promise.all(chains.map((chain) => runChain(d, chain))),
        () => undefined,
      );
      return true;
    },
    stats() {
      return { ...counters };
    },
    reset() {
      controller.abort();
      controller = newController();
      counters = fresh();
    },
    async close() {
      closed = true;
      controller.abort();
      await agent.destroy();
    },
  };
}
