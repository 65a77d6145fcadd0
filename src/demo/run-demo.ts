// `cxone-fleet demo`: the whole fleet on loopback. A Redis (the configured one, or an
// ephemeral redis-server), the CXone simulator (rate limited, sending signed delivery
// webhooks), the ingress, and worker processes started through the CLI as an operator
// would; then a generated batch, followed to its last delivery status, and a summary.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { createProgress } from '../cli/progress.ts';
import { cliEntryArgs } from '../cli-entry.ts';
import { environmentWith, loadConfig, logLevelSetting } from '../config.ts';
import { ensureRedis, type LocalRedis } from '../dev/local-redis.ts';
import { startFleetIngress } from '../fleet-ingress.ts';
import { createLogger } from '../logger.ts';
import { createProducerContext } from '../producer-context.ts';
import { createRedis, deleteKeysWithPrefix, fleetKey, waitForReady, type RedisSettings } from '../redis.ts';
import { startSimulatorProcess } from '../simulator/process.ts';
import { followBatch, settledCount, stateLine } from '../sms/follow.ts';
import { createSmsServices } from '../sms/services.ts';
import { generateDemoBatch } from './batch.ts';
import { renderDemoReport, type DemoFigures } from './report.ts';

export interface DemoOptions {
  messages: number;
  rps: number;
  workers: number;
  exit: boolean;
  print: (line: string) => void;
}

const CLI = cliEntryArgs();

function spawnWorker(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [...CLI, 'worker', '--queues', 'sms-send,sms-status,sms-reconcile'], {
    env: environmentWith(env),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** Deletes the demo's keys: on every master when the fleet runs on a cluster. */
async function purge(settings: RedisSettings, prefix: string) {
  const conn = createRedis(settings, 'client');
  try {
    await waitForReady(conn);
    await deleteKeysWithPrefix(conn, prefix);
  } finally {
    conn.disconnect();
  }
}

export async function runDemo(o: DemoOptions): Promise<DemoFigures> {
  const started = Date.now();
  const base = loadConfig();
  const logger = createLogger({ level: logLevelSetting('warn'), name: 'cxone-fleet:demo' });
  let redis: LocalRedis | undefined;
  let prefix: string | undefined;
  const workers: ChildProcess[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    // A configured cluster is used as it is; otherwise a Redis that answers, or an ephemeral one.
    const clusterNodes = base.redis.clusterNodes ?? [];
    if (clusterNodes.length > 0) {
      redis = { url: base.redis.url, started: false, stop() {} };
      o.print(`redis      cluster ${clusterNodes.join(',')}`);
    } else {
      redis = await ensureRedis(base.redis.url);
      o.print(redis.started ? `redis      ephemeral redis-server at ${redis.url}` : `redis      ${redis.url.replace(/\/\/[^@]*@/, '//')}`);
    }

    // The demo's own prefix keeps it apart from anything else in that Redis.
    prefix = `{cxf-demo-${randomBytes(3).toString('hex')}}`;
    const secret = randomBytes(16).toString('hex');
    const adminPassword = randomBytes(9).toString('base64url');
    // In a process of its own, as CXone is: see simulator/process.ts.
    const sim = await startSimulatorProcess({ rps: o.rps });
    cleanups.push(() => sim.stop());
    o.print(`simulator  ${sim.url} (limit ${o.rps} req/s)`);

    const env: Record<string, string> = {
      REDIS_URL: redis.url,
      REDIS_CLUSTER_NODES: clusterNodes.join(','),
      FLEET_PREFIX: prefix,
      CXONE_BASE_URL: sim.url,
      CXONE_RATE_LIMIT_RPS: String(o.rps),
      WEBHOOK_SECRETS: secret,
      ADMIN_USER: 'admin',
      ADMIN_PASSWORD: adminPassword,
      LOG_LEVEL: logLevelSetting('warn'),
    };
    const ingressConfig = loadConfig(environmentWith({ ...env, INGRESS_PORT: '0' }));
    const ingress = await startFleetIngress(ingressConfig, logger, { port: 0 });
    cleanups.push(() => ingress.shutdown());
    env.PUBLIC_URL = ingress.url;
    await sim.configure({ webhooks: { url: `${ingress.url}/webhooks/sms/status`, secret, delayMs: 30 } });
    o.print(`ingress    ${ingress.url}`);
    o.print(`dashboard  ${ingress.url}/admin/queues  (user admin, password ${adminPassword})`);

    for (let i = 0; i < o.workers; i++) workers.push(spawnWorker(env));
    o.print(`workers    ${o.workers} processes: ${workers.map((w) => w.pid).join(', ')}`);

    const config = loadConfig(environmentWith(env));
    const ctx = createProducerContext(config, { role: 'demo', logger });
    cleanups.push(() => ctx.close());
    await waitForReady(ctx.redis);
    const sms = createSmsServices(ctx);
    const batch = generateDemoBatch(o.messages);
    await sms.consent.optIn(batch.optIn);
    await sms.consent.optOut(batch.optOut);

    const batchId = `demo-${Date.now()}`;
    const intakeBar = createProgress({ enabled: true, total: batch.rows.length, format: 'intake     [{bar}] {value}/{total} rows' });
    const intake = await sms.intake.submit(
      batch.rows.map((input, i) => ({ row: i + 1, input })),
      { batchId, defaults: { from: 'ACME', campaignId: 'demo-campaign' }, onProgress: (n) => intakeBar.update(n) },
    );
    intakeBar.stop();
    o.print(`batch      ${batchId}: ${intake.accepted} accepted, ${intake.rejected} rejected, ${intake.segments} segments`);

    const bar = createProgress({ enabled: true, total: intake.accepted, format: 'delivery   [{bar}] {value}/{total} settled | {states}' });
    let lastLine = 0;
    let final = await sms.store.getBatch(batchId);
    for await (const b of followBatch(sms.store, batchId, { intervalMs: 200 })) {
      final = b;
      bar.update(settledCount(b), { states: stateLine(b.counts) });
      if (!process.stderr.isTTY && Date.now() - lastLine > 2_000) {
        lastLine = Date.now();
        o.print(`progress   ${settledCount(b)}/${intake.accepted} settled · ${stateLine(b.counts)}`);
      }
    }
    bar.stop();

    const ids = batch.rows.map((r) => `ref-${r.ref}`);
    const pipe = ctx.redis.pipeline();
    for (const id of ids) pipe.hget(fleetKey(prefix, 'sms', 'msg', id), 'latencyMs');
    const latencies = ((await pipe.exec()) ?? []).map(([, v]) => Number(v)).filter((v) => Number.isFinite(v) && v > 0);
    const s = await sim.stats();
    const figures: DemoFigures = {
      intake,
      batch: final!,
      limitRps: o.rps,
      sim: {
        accepted: s.sms.accepted,
        duplicates: s.sms.duplicates,
        rateLimited: s.rateLimited,
        tokenRequests: s.tokenRequests,
        peak1s: s.peak1s,
        firstAcceptedAt: s.sms.firstAcceptedAt,
        lastAcceptedAt: s.sms.lastAcceptedAt,
      },
      dispatchLatenciesMs: latencies,
      elapsedMs: Date.now() - started,
    };
    o.print('');
    o.print(renderDemoReport(figures));
    o.print('');
    if (!o.exit) {
      o.print(`The fleet keeps running: dashboard ${ingress.url}/admin/queues. Ctrl-C to stop.`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    }
    return figures;
  } finally {
    await Promise.all(
      workers.map(async (w) => {
        if (w.exitCode !== null || w.signalCode !== null) return;
        w.kill('SIGTERM');
        await once(w, 'exit');
      }),
    );
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    // Last, once nothing of the demo runs: a worker or the ingress still closing would
    // write its queues' meta keys again.
    if (redis && prefix) await purge({ url: redis.url, clusterNodes: base.redis.clusterNodes }, prefix).catch(() => undefined);
    redis?.stop();
  }
}
