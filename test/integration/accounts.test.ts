// Two CXone accounts from one accounts file (docs/adr/0006-accounts.md): one worker process
// (`cxone-fleet worker --accounts all`) serves both, each account has its own ingress and
// producer; each sends a batch through the simulator over HTTP with its own client
// credentials, token and budget, receipts come back to its own ingress, and every key of
// each account sits in a cluster slot of its own.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.ts';
import { startFleetIngress } from '../../src/fleet-ingress.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createProducerContext } from '../../src/producer-context.ts';
import { deleteKeysWithPrefix, waitForReady } from '../../src/redis.ts';
import { keySlot } from '../../src/redis-slot.ts';
import { slotMasters } from '../../src/accounts-placement.ts';
import { startSimulatorProcess } from '../../src/simulator/process.ts';
import { createSmsServices } from '../../src/sms/services.ts';
import { numbers, settled, submitBatch, waitForBatch } from '../helpers/sms-fleet.ts';
import { createTestRedis, keysMatching, REDIS_CLUSTER_NODES, REDIS_ENV } from '../helpers/redis.ts';
import { killWorkers, spawnWorker } from '../helpers/worker-processes.ts';

const SECRET = 'accounts-webhook-secret';
const ADMIN = 'accounts-admin-token';
const dir = mkdtempSync(join(tmpdir(), 'cxf-accounts-it-'));
const run = randomBytes(3).toString('hex');
// The simulator's limit per account (sliding second) and each fleet's budget for it.
const LIMITS = { acme: 20, globex: 40 } as const;
const SIZES = { acme: 50, globex: 80 } as const;
type AccountId = keyof typeof LIMITS;
const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Each account's prefix. On a cluster, placed as an operator would (`cxone-fleet accounts`
 * shows where): globex's tag is one whose slot another master serves than acme's.
 */
async function accountPrefixes(): Promise<Record<AccountId, string>> {
  const acme = `{cxft-acme-${run}}`;
  if (!REDIS_CLUSTER_NODES) return { acme, globex: `{cxft-globex-${run}}` };
  const conn = createTestRedis();
  try {
    const masterOf = await slotMasters(conn as Cluster);
    const candidates = Array.from({ length: 64 }, (_, i) => `{cxft-globex-${run}-${i}}`);
    const globex = candidates.find((p) => masterOf(keySlot(p)) !== masterOf(keySlot(acme)));
    if (!globex) throw new Error('the cluster has a single master');
    return { acme, globex };
  } finally {
    conn.disconnect();
  }
}

describe('several CXone accounts', () => {
  it('runs a batch per account with its own credentials, token and limit, each account on a slot of its own', { timeout: 120_000 }, async () => {
    // The simulator in a process of its own, as CXone is: its clock is not stalled by the
    // ingresses and producers this process runs, so its per-second counts are the fleet's.
    const sim = await startSimulatorProcess({
      args: (['acme', 'globex'] as const).flatMap((a) => ['--sim-account', `${a}=${a}-client:${a}-secret-0123456789:${LIMITS[a]}`]),
    });
    closers.push(() => sim.stop());
    // Each fleet names its own ingress with every send; this URL is never used.
    await sim.configure({ webhooks: { url: 'http://127.0.0.1:9/unused', secret: SECRET, delayMs: 5 } });
    writeFileSync(join(dir, 'globex.secret'), 'globex-secret-0123456789\n');
    const file = join(dir, 'accounts.yaml');
    const prefixes = await accountPrefixes();
    const entry = (id: AccountId, secretRef: string) =>
      [`  ${id}:`, `    prefix: "${prefixes[id]}"`, `    baseUrl: ${sim.url}`, `    clientId: ${id}-client`, `    ${secretRef}`, `    rateLimit: { rps: ${LIMITS[id]} }`];
    // Secrets by reference: acme's in a variable, globex's in a file beside the accounts file.
    writeFileSync(file, ['accounts:', ...entry('acme', 'clientSecretEnv: CXONE_SECRET_ACME'), ...entry('globex', 'clientSecretFile: globex.secret')].join('\n'));
    const baseEnv = {
      ...REDIS_ENV,
      LOG_LEVEL: 'silent',
      WEBHOOK_SECRETS: SECRET,
      // Room for the jitter of one busy test process that holds simulator and fleets alike;
      // either fleet on the other's budget would still overrun acme's limit (32/s > 20/s).
      CXONE_RATE_LIMIT_HEADROOM: '0.2',
      CXONE_ACCOUNTS_FILE: file,
      CXONE_SECRET_ACME: 'acme-secret-0123456789',
      ADMIN_TOKEN: ADMIN,
    };
    const logger = createLogger({ level: 'silent' });

    // Per account: its ingress (receipts) and producer, as `cxone-fleet --account <id>
    // ingress` and the CLI build them from the same file.
    async function startAccountFleet(account: AccountId) {
      const config = loadConfig({ ...baseEnv, CXONE_ACCOUNT: account });
      const ingress = await startFleetIngress(config, logger, { port: 0, metrics: createMetrics() });
      closers.push(() => ingress.shutdown());
      const withUrl: Config = loadConfig({ ...baseEnv, CXONE_ACCOUNT: account, PUBLIC_URL: ingress.url });
      const ctx = createProducerContext(withUrl, { role: 'test', logger });
      closers.push(() => ctx.close());
      await waitForReady(ctx.redis);
      // Runs after the worker process has gone (closers run last first), before ctx closes.
      closers.push(() => deleteKeysWithPrefix(ctx.redis, config.redis.prefix));
      return { config, sms: createSmsServices(ctx), redis: ctx.redis, ingressUrl: ingress.url };
    }
    const fleets = { acme: await startAccountFleet('acme'), globex: await startAccountFleet('globex') };
    spawnWorker(baseEnv, ['--accounts', 'all', '--queues', 'sms-send,sms-status', '--concurrency', '8']);
    closers.push(() => killWorkers());
    expect(fleets.acme.config.cxone).toMatchObject({ accountId: 'acme', clientId: 'acme-client' });
    expect(fleets.globex.config.cxone).toMatchObject({ accountId: 'globex', clientId: 'globex-client' });

    await Promise.all([
      submitBatch(fleets.acme.sms, 'b-acme', numbers(SIZES.acme, 2_100_000)),
      submitBatch(fleets.globex.sms, 'b-globex', numbers(SIZES.globex, 2_200_000)),
    ]);
    const [acmeBatch, globexBatch] = await Promise.all([
      waitForBatch(fleets.acme.sms, 'b-acme', settled, 90_000),
      waitForBatch(fleets.globex.sms, 'b-globex', settled, 90_000),
    ]);
    expect((acmeBatch.counts.delivered ?? 0) + (acmeBatch.counts.undelivered ?? 0)).toBe(SIZES.acme);
    expect((globexBatch.counts.delivered ?? 0) + (globexBatch.counts.undelivered ?? 0)).toBe(SIZES.globex);

    // CXone's side, per account: one token each (cached fleet-wide under the account's
    // prefix), every send under its own account, and its own limit never exceeded.
    const stats = await sim.stats();
    expect(stats.sms.repeatedRecipients).toBe(0);
    for (const account of ['acme', 'globex'] as const) {
      const seen = stats.accounts[account];
      expect(seen, `simulator stats for ${account}`).toMatchObject({ tokensIssued: 1, requests: SIZES[account], rateLimited: 0 });
      expect(seen!.peak1s).toBeLessThanOrEqual(LIMITS[account]);
    }
    expect(Object.keys(stats.accounts).sort()).toEqual(['acme', 'globex']);

    // Redis: each account's queues, batches, consent, token and limiter keys under its
    // own hash tag, so in one slot per account, and the two slots differ.
    const slots: Record<string, number> = {};
    for (const account of ['acme', 'globex'] as const) {
      const { redis, config } = fleets[account];
      const keys = await keysMatching(redis, `${config.redis.prefix}*`);
      const kinds = [...new Set(keys.map((k) => k.slice(config.redis.prefix.length).split(':').slice(0, 3).join(':')))];
      // (The limiter's keys expire soon after the last call, so they are not looked for.)
      for (const part of [':sms-send:', ':sms-status:', ':sms:batch', ':consent:', ':token:']) {
        expect(keys.some((k) => k.includes(part)), `${account} has a ${part} key among ${kinds.join(' ')}`).toBe(true);
      }
      const accountSlots = new Set(keys.map(keySlot));
      expect([...accountSlots]).toHaveLength(1);
      slots[account] = [...accountSlots][0]!;
      if (redis instanceof Cluster) {
        // The cluster's own answer, for a key of each account.
        expect(await redis.cluster('KEYSLOT', keys[0]!)).toBe(slots[account]);
      }
    }
    expect(slots.acme).not.toBe(slots.globex);
    if (fleets.acme.redis instanceof Cluster) {
      const masterOf = await slotMasters(fleets.acme.redis);
      expect(masterOf(slots.acme!)).not.toBe(masterOf(slots.globex!));
    }

    // A producer that names the wrong account at an account's ingress is refused.
    const dlq = (account?: string) =>
      fetch(`${fleets.acme.ingressUrl}/api/dlq`, { headers: { authorization: `Bearer ${ADMIN}`, ...(account ? { 'x-cxone-account': account } : {}) } });
    expect((await dlq()).status).toBe(200);
    expect((await dlq('acme')).status).toBe(200);
    const refused = await dlq('globex');
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({
      error: { code: 'VALIDATION', details: { issues: [{ path: 'header X-CXone-Account', message: expect.stringContaining('serves CXone account "acme", not "globex"') as unknown }] } },
    });
  });
});
