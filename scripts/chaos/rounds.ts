// The chaos rounds, one fault each, injected once the batch is a quarter through (CXone
// has accepted a quarter of it), and over by the time inject() resolves. Round 7's fault
// (receipts lost on the way) is a setting of the whole batch instead: a receipt is dropped
// or not when CXone accepts the message.
import { cp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { EphemeralRedis } from '../../test/helpers/ephemeral-redis.ts';
import type { ClusterFaults } from './cluster.ts';
import type { Check, RoundFigures } from './figures.ts';
import type { Stage, StageOptions } from './stage.ts';

export interface Infrastructure {
  /** The private redis-server every single-Redis round runs on. */
  redis: EphemeralRedis;
  /** The local cluster, started for round 4 only. */
  cluster(): Promise<ClusterFaults>;
}

export interface Round {
  name: string;
  /**
   * CXone itself fails a request (5xx, an answer after the timeout): such a round spends
   * attempts by design, that is what attempts are for. Every other fault (Redis, a worker
   * process, a lost receipt) must spend none.
   */
  spendsAttempts: boolean;
  onCluster?: boolean;
  stage?: Pick<StageOptions, 'env' | 'webhooks'>;
  /** Injects the fault and resolves once it is over; returns what happened, in a few words. */
  inject(stage: Stage, infra: Infrastructure): Promise<string>;
  /** Where a fault could pass unnoticed: the figure that shows it did bite. */
  evidence?: (f: RoundFigures) => Check;
}

/** How long a CXone fault lasts (the batch goes on meanwhile). */
const CXONE_FAULT_MS = 5_000;
const FREEZE_MS = 5_000;
/** How long Redis stays down before it is started again (a restart, not a blip). */
const RESTART_DOWN_MS = 3_000;
/** The writes a host crash takes with it under appendfsync everysec: up to about a second's. */
const UNSYNCED_MS = 1_000;

async function cxoneFault(stage: Stage, faults: Record<string, unknown>): Promise<string> {
  await stage.sim.configure({ faults });
  await delay(CXONE_FAULT_MS);
  await stage.sim.configure({ faults: null });
  return `${JSON.stringify(faults)} for ${CXONE_FAULT_MS / 1000} s`;
}

export const ROUNDS: Round[] = [
  {
    name: 'worker-sigkill',
    spendsAttempts: false,
    async inject(stage) {
      const victim = stage.workers[0]!.process;
      const exited = new Promise((resolve) => victim.once('exit', resolve));
      victim.kill('SIGKILL');
      await exited;
      await stage.replaceWorker(0);
      return `worker ${victim.pid} SIGKILLed, a new one started`;
    },
  },
  {
    name: 'redis-freeze',
    spendsAttempts: false,
    async inject(_stage, infra) {
      infra.redis.freeze();
      await delay(FREEZE_MS);
      infra.redis.thaw();
      return `redis-server SIGSTOPped for ${FREEZE_MS / 1000} s, then SIGCONT`;
    },
  },
  {
    name: 'redis-restart-aof',
    spendsAttempts: false,
    async inject(_stage, infra) {
      const t = Date.now();
      await infra.redis.stop('SIGKILL');
      await delay(RESTART_DOWN_MS);
      await infra.redis.start();
      return `redis-server SIGKILLed and restarted from its AOF, down ${Date.now() - t} ms`;
    },
  },
  {
    name: 'cluster-master-kill',
    spendsAttempts: false,
    onCluster: true,
    async inject(stage, infra) {
      const cluster = await infra.cluster();
      const { port, failoverMs } = await cluster.killMasterOf(stage.env.FLEET_PREFIX!);
      return `master ${port} (the fleet's slot) SIGKILLed, replica promoted after ${failoverMs} ms`;
    },
  },
  {
    name: 'cxone-5xx',
    spendsAttempts: true,
    inject: (stage) => cxoneFault(stage, { errorRate: 0.3 }),
    evidence: (f) => ({ name: 'the 5xx cost attempts', ok: f.sendAttemptsBeyondFirst > 0, detail: `${f.sendAttemptsBeyondFirst} beyond the first` }),
  },
  {
    // The ambiguous case: CXone accepted the message but the answer comes after the client
    // gave up. The retry carries the same idempotency key, so CXone answers the first send's
    // id instead of sending again; reconciliation asks by that key for any message left
    // `unknown`.
    name: 'cxone-slower-than-timeout',
    spendsAttempts: true,
    stage: { env: { CXONE_HEADERS_TIMEOUT_MS: '1000', CXONE_BODY_TIMEOUT_MS: '1000' } },
    inject: (stage) => cxoneFault(stage, { lateResponseRate: 0.3, lateResponseMs: 3000 }),
    evidence: (f) => ({ name: 'sends timed out after CXone took them', ok: f.keyedResends > 0, detail: `${f.keyedResends} keyed resends answered with the first send's id` }),
  },
  {
    name: 'receipts-dropped',
    spendsAttempts: false,
    // No webhook retries, as real CXone documents none: a dropped receipt is gone.
    stage: { webhooks: { dropRate: 0.1, retryScheduleMs: [] } },
    inject: () => Promise.resolve('10% of delivery receipts dropped for the whole batch'),
    evidence: (f) => ({
      name: 'reconciliation asked for each dropped receipt',
      ok: f.receiptsDropped > 0 && f.statusReads >= f.receiptsDropped,
      detail: `${f.receiptsDropped} dropped, ${f.statusReads} status reads`,
    }),
  },
  {
    // A process SIGKILL loses nothing under either fsync policy: Redis has written the AOF
    // (to the kernel) before it answers. What everysec risks is the host going down with its
    // page cache: the writes since the last fsync are gone although Redis acknowledged them.
    // Emulated: the AOF as it was a second before the kill is what Redis restarts from.
    name: 'redis-host-crash',
    spendsAttempts: false,
    async inject(_stage, infra) {
      const aof = join(infra.redis.dir, 'appendonlydir');
      const synced = `${aof}.synced`;
      await cp(aof, synced, { recursive: true });
      await delay(UNSYNCED_MS);
      await infra.redis.stop('SIGKILL');
      await rm(aof, { recursive: true, force: true });
      await rename(synced, aof);
      await infra.redis.start();
      return `redis-server SIGKILLed and restarted from its AOF as it was ${UNSYNCED_MS} ms earlier (acknowledged writes lost, as in a host crash)`;
    },
    // Dispatches Redis forgot are sent again (with their key); receipts it forgot are read back.
    evidence: (f) => ({ name: 'forgotten writes were redone', ok: f.keyedResends + f.statusReads > 0, detail: `${f.keyedResends} keyed resends, ${f.statusReads} status reads` }),
  },
];
