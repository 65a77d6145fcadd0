// The admin dashboard in a real browser (playwright-core driving a Chromium that
// test/helpers/chromium.ts finds: CHROMIUM_PATH, Debian's, or @sparticuz/chromium's): log in
// with basic credentials, see every queue with its counts, open a failed job, check that
// its phone number and text are masked, and save a screenshot as a test artifact.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UnrecoverableError, Worker } from 'bullmq';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createIngressDeps } from '../../src/ingress/deps.ts';
import { startIngress, type RunningIngress } from '../../src/ingress/server.ts';
import { QUEUES, type QueueKey } from '../../src/queues/registry.ts';
import { findChromium } from '../helpers/chromium.ts';
import { killWorkers, spawnWorker } from '../helpers/worker-processes.ts';
import { REDIS_ENV, createTestRedis, deleteKeysWithPrefix, testPrefix } from '../helpers/redis.ts';

const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts');
const prefix = testPrefix('dash');
const config = loadConfig({ ...REDIS_ENV, FLEET_PREFIX: prefix, LOG_LEVEL: 'silent', ADMIN_USER: 'admin', ADMIN_PASSWORD: 'dash-pw' });
const deps = createIngressDeps(config, createLogger({ level: 'silent' }));
let ingress: RunningIngress;
let context: BrowserContext | undefined;
let profileDir: string | undefined;

const PHONE = '+15551234567';
const TEXT = 'Your one-time code is 123456';

beforeAll(async () => {
  ingress = await startIngress({ ...deps, host: '127.0.0.1', port: 0 });
  // One failed job, failed the way a worker fails it.
  await deps.enqueuer.enqueue(
    'smsSend',
    {
      accountId: 'acct',
      requestId: 'req-dash',
      batchId: 'b-1',
      messageId: 'm-1',
      idempotencyKey: 'idem-1',
      to: PHONE,
      from: 'ACME',
      text: TEXT,
      campaignId: 'c-1',
      encoding: 'GSM-7',
      segments: 1,
      notAfter: Date.now() + 3_600_000,
    },
    { jobId: 'dash-failed-1' },
  );
  await new Promise<void>((done) => {
    const worker = new Worker(QUEUES.smsSend.name, () => Promise.reject(new UnrecoverableError('recipient opted out')), {
      connection: createTestRedis('worker'),
      prefix,
    });
    worker.on('failed', () => void worker.close().then(() => done()));
  });
  await deps.enqueuer.enqueue('smsStatus', { accountId: 'acct', eventId: 'e-1', messageId: 'm-1', status: 'sent', timestamp: 't', receivedAt: 1 }, { jobId: 'dash-waiting-1' });
});

afterAll(async () => {
  await killWorkers();
  await context?.close();
  if (profileDir) await rm(profileDir, { recursive: true, force: true });
  await ingress?.close();
  await deps.close();
  const redis = createTestRedis();
  await deleteKeysWithPrefix(redis, prefix);
  await redis.quit();
});

describe('admin dashboard in a browser', () => {
  it('logs in, shows the queues with counts, opens a failed job with masked data', async () => {
    const browser = await findChromium();
    profileDir = await mkdtemp(join(tmpdir(), 'cxf-chromium-'));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: browser.executablePath,
      env: { ...process.env, ...browser.env },
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      httpCredentials: { username: 'admin', password: 'dash-pw' },
      viewport: { width: 1400, height: 1000 },
    });
    const page = await context.newPage();

    // Without credentials the same page is refused.
    const anonymous = await fetch(`${ingress.url}/admin/queues`);
    expect(anonymous.status).toBe(401);

    const res = await page.goto(`${ingress.url}/admin/queues`);
    expect(res?.status()).toBe(200);
    for (const def of Object.values(QUEUES)) {
      await expect(page.getByText(def.name, { exact: true }).first().waitFor({ timeout: 15_000 })).resolves.toBeUndefined();
    }

    // Counts: sms-send has its failed job, sms-status a waiting one, the others none.
    await page.getByText('1 Job').first().waitFor({ timeout: 15_000 });
    const overview = await page.locator('body').innerText();
    expect(overview).toMatch(/sms-send\s+No workers\s+FAILED\s+1\s+1 Job/);
    expect(overview).toMatch(/sms-status\s+No workers\s+1 Job/);
    expect(overview).toMatch(/email-health\s+No workers\s+0 Jobs/);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-overview.png'), fullPage: true });

    // The failed set of sms-send, then the job itself.
    await page.goto(`${ingress.url}/admin/queues/queue/${QUEUES.smsSend.name}?status=failed`);
    await page.getByText('recipient opted out').first().waitFor({ timeout: 15_000 });
    const jobLink = page.locator('a[href*="dash-failed-1"]').first();
    if (await jobLink.count()) await jobLink.click();
    else await page.goto(`${ingress.url}/admin/queues/queue/${QUEUES.smsSend.name}/dash-failed-1`);
    await page.getByText('dash-failed-1').first().waitFor({ timeout: 15_000 });
    const dataTab = page.getByRole('tab', { name: /data/i }).or(page.getByRole('button', { name: /^data$/i })).first();
    if (await dataTab.count()) await dataTab.click();
    await page.getByText('+*********67').first().waitFor({ timeout: 15_000 });

    const html = await page.content();
    expect(html).not.toContain(PHONE);
    expect(html).not.toContain(TEXT);
    expect(html).toContain(`[${TEXT.length} chars]`);

    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    expect(existsSync(join(ARTIFACTS, 'dashboard.png'))).toBe(true);
  });

  it('with `cxone-fleet worker` and no --queues running, no queue says "No workers"', async () => {
    spawnWorker({ ...REDIS_ENV, FLEET_PREFIX: prefix, LOG_LEVEL: 'silent', METRICS_PORT: '0' });
    // Every registry queue gets a worker: the registry lists only queues that have one.
    await expect.poll(async () => {
      const counts = await Promise.all(Object.keys(QUEUES).map((k) => deps.queues.get(k as QueueKey).getWorkersCount()));
      return counts.every((n) => n > 0);
    }, { timeout: 30_000, interval: 200 }).toBe(true);
    const page = await context!.newPage();
    await page.goto(`${ingress.url}/admin/queues`);
    for (const def of Object.values(QUEUES)) await page.getByText(def.name, { exact: true }).first().waitFor({ timeout: 15_000 });
    const overview = await page.locator('body').innerText();
    expect(overview).not.toContain('No workers');
    await page.close();
  }, 60_000);

  it('falls back to the Chromium inside @sparticuz/chromium, which launches here', async () => {
    const bundled = await findChromium({}, { skipSystem: true });
    expect(bundled.source).toBe('@sparticuz/chromium');
    const browser = await chromium.launch({ executablePath: bundled.executablePath, env: { ...process.env, ...bundled.env }, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      await page.setContent('<h1>fleet</h1>');
      expect(await page.textContent('h1')).toBe('fleet');
    } finally {
      await browser.close();
    }
  }, 120_000);
});
