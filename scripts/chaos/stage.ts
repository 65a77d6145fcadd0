// The fleet one chaos round runs: the simulator in a process of its own (over HTTP), the
// fleet's ingress taking its signed receipts, a batch submitted through the intake, and 2
// worker processes started through the CLI as deployed. Every piece is stopped and every key
// under the round's prefix deleted by close(), also when the round failed.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config.ts';
import { startFleetIngress } from '../../src/fleet-ingress.ts';
import { createLogger } from '../../src/logger.ts';
import { createProducerContext, type ProducerContext } from '../../src/producer-context.ts';
import { createRedis, deleteKeysWithPrefix, waitForReady } from '../../src/redis.ts';
import { startSimulatorProcess, type SimulatorProcess } from '../../src/simulator/process.ts';
import { followBatch } from '../../src/sms/follow.ts';
import type { BatchRecord } from '../../src/sms/message-store.ts';
import { createSmsServices, type SmsServices } from '../../src/sms/services.ts';
import { once } from 'node:events';
import { spawnWorkers, waitUntilServing, type BenchWorker } from '../../bench/lib/fleet-bench.ts';

export const WEBHOOK_SECRET = 'chaos-receipts';
export const BATCH_ID = 'chaos';

/** Where the round's Redis is: one server, or the seed nodes of a cluster. */
export type RedisTarget = { url: string } | { clusterNodes: string[] };

export interface StageOptions {
  label: string;
  redis: RedisTarget;
  messages: number;
  /** The simulator's per-account limit and the fleet's budget, requests/s. */
  rps: number;
  /** Worker settings this round needs (timeouts, for one). */
  env?: Record<string, string>;
  /** Receipt settings on top of the defaults (reliable, retried as the simulator does). */
  webhooks?: Record<string, unknown>;
}

export interface Stage {
  sim: SimulatorProcess;
  sms: SmsServices;
  ctx: ProducerContext;
  /** Everything a worker process needs. */
  env: Record<string, string>;
  workers: BenchWorker[];
  numbers: string[];
  /** A worker in place of one that died, serving once this resolves. */
  replaceWorker(index: number): Promise<void>;
  /** Resolves with the batch once every message is terminal; rejects after `timeoutMs`. */
  settled(timeoutMs: number, batchId?: string): Promise<BatchRecord>;
  /** Submits a further batch of `n` messages to new recipients (after the fault). */
  submitMore(batchId: string, n: number): Promise<void>;
  close(): Promise<void>;
}

// Settings that make a round's waits short without changing what the fleet does: receipts
// are reconciled 2 s after dispatch (production: 10 min), and a crashed worker's jobs are
// taken over after 10 s (production: 30 s), still longer than the 5 s Redis freeze so a
// frozen Redis does not look like a crashed worker.
const FLEET_ENV = {
  LOG_LEVEL: 'error',
  SMS_RECONCILE_AFTER_S: '2',
  SMS_RECONCILE_EVERY_S: '1',
  WORKER_LOCK_MS: '10000',
};

const CLEANUP_STEP_MS = 30_000;

function rejectAfter(ms: number): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(`not done after ${ms} ms`)), ms).unref());
}

/** SIGTERM, and SIGKILL if it has not exited within 15 s (a worker stuck on a Redis that is gone). */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** Where the SMS queues' jobs are, for a round that did not settle. */
async function jobCounts(ctx: ProducerContext): Promise<Record<string, Record<string, number>>> {
  const keys = ['smsSend', 'smsStatus', 'smsReconcile'] as const;
  const counts = await Promise.all(keys.map((k) => ctx.queues.get(k).getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed')));
  return Object.fromEntries(keys.map((k, i) => [k, counts[i]!]));
}

function redisEnv(target: RedisTarget): Record<string, string> {
  // REDIS_URL stays set in cluster mode: the config requires it, the cluster nodes win.
  return 'url' in target ? { REDIS_URL: target.url } : { REDIS_URL: `redis://${target.clusterNodes[0]}`, REDIS_CLUSTER_NODES: target.clusterNodes.join(',') };
}

export async function startStage(opts: StageOptions): Promise<Stage> {
  const cleanups: (() => Promise<unknown>)[] = [];
  // Each step bounded: a round that failed may leave Redis unanswering, and the key clean-up
  // (a patient connection) would wait for it for ever.
  const close = async () => {
    for (const c of cleanups.reverse()) {
      await Promise.race([c(), rejectAfter(CLEANUP_STEP_MS)]).catch((err: unknown) => console.error(`chaos: clean-up step failed: ${(err as Error).message}`));
    }
  };
  try {
    const prefix = `{cxchaos-${opts.label}-${randomBytes(3).toString('hex')}}`;
    const sim = await startSimulatorProcess({ rps: opts.rps });
    cleanups.push(() => sim.stop());
    const baseEnv = { ...FLEET_ENV, ...redisEnv(opts.redis), FLEET_PREFIX: prefix, CXONE_BASE_URL: sim.url, CXONE_RATE_LIMIT_RPS: String(opts.rps), WEBHOOK_SECRETS: WEBHOOK_SECRET, ...opts.env };
    const logger = createLogger({ level: 'silent' });
    const config = loadConfig(baseEnv);
    cleanups.push(async () => {
      const redis = createRedis(config.redis, 'commands');
      await deleteKeysWithPrefix(redis, prefix);
      await redis.quit();
    });
    const ingress = await startFleetIngress(config, logger, { port: 0 });
    cleanups.push(() => ingress.shutdown());
    await sim.configure({ webhooks: { url: `${ingress.url}/webhooks/sms/status`, secret: WEBHOOK_SECRET, delayMs: 5, ...opts.webhooks } });
    const env = { ...baseEnv, PUBLIC_URL: ingress.url };

    const ctx = createProducerContext(loadConfig(env), { role: 'chaos', logger });
    cleanups.push(() => ctx.close());
    await waitForReady(ctx.redis, 30_000);
    const sms = createSmsServices(ctx);
    const submit = async (batchId: string, to: string[]) => {
      await sms.consent.optIn(to);
      const summary = await sms.intake.submit(
        to.map((n, i) => ({ row: i + 1, input: { to: n, text: `Chaos ${opts.label} ${batchId} message ${i}` } })),
        { batchId, defaults: { from: 'ACME', campaignId: 'chaos' } },
      );
      if (summary.accepted !== to.length) throw new Error(`intake accepted ${summary.accepted} of ${to.length} messages of batch ${batchId}`);
    };
    const numbers = Array.from({ length: opts.messages }, (_, i) => `+1415${2_000_000 + i}`);
    await submit(BATCH_ID, numbers);

    const workers = await spawnWorkers(2, env, ['--concurrency', '16']);
    cleanups.push(() => Promise.all(workers.map((w) => stopProcess(w.process))));
    await waitUntilServing(workers);

    return {
      sim,
      sms,
      ctx,
      env,
      workers,
      numbers,
      async replaceWorker(index) {
        const [fresh] = await spawnWorkers(1, env, ['--concurrency', '16']);
        workers[index] = fresh!;
        await waitUntilServing([fresh!]);
      },
      submitMore: (batchId, n) => submit(batchId, Array.from({ length: n }, (_, i) => `+1415${5_000_000 + i}`)),
      async settled(timeoutMs, batchId = BATCH_ID) {
        const signal = AbortSignal.timeout(timeoutMs);
        let last: BatchRecord | undefined;
        try {
          for await (const b of followBatch(sms.store, batchId, { intervalMs: 250, signal, maxOutageMs: timeoutMs })) last = b;
        } catch (err) {
          const jobs = await jobCounts(ctx).catch((e: unknown) => `unreadable: ${(e as Error).message}`);
          const awaiting = await sms.store.awaitingCount().catch(() => '?');
          throw new Error(`batch not settled after ${timeoutMs} ms: ${JSON.stringify(last?.counts)}; jobs ${JSON.stringify(jobs)}; awaiting reconciliation ${awaiting}`, { cause: err });
        }
        if (!last) throw new Error('batch record not found');
        return last;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
