// Sender health (all analytics pages, warn and stop crossings, pause and resume) and the
// audit-log export (every page exactly once across 429s, resumable after a crash).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createEmailChannel } from '../../src/cxone/email.ts';
import { exportChannelAudit } from '../../src/email/audit-export.ts';
import { isChannelPaused } from '../../src/email/health.ts';
import { startWorkerPool } from '../../src/worker-pool.ts';
import { EMAIL_PROCESSORS } from '../../src/email/processors.ts';
import { startEmailHarness, type EmailHarness } from '../fixtures/email-pipeline/harness.ts';

let h: EmailHarness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

const WAIT = { timeout: 30_000, interval: 25 } as const;
const FAST = { pollBaseMs: 20, pollMaxMs: 100, activationTimeoutMs: 30_000 } as const;

describe('email sender health', () => {
  it('is scheduled on activation, reads every page, warns, pauses on stop, and stays resumed until the next crossing', async () => {
    const name = 'Pipeline inbox';
    // 150 daily rows: two analytics pages of 100.
    const totals = (bounced: number, complaints = 0) => ({ email: { metrics: { [name]: { sent: 10_000, delivered: 10_000 - bounced, bounced, complaints, days: 150 } } } });
    h = await startEmailHarness('emhealth', { email: { activation: { pendingPolls: 1 }, metrics: totals(100).email.metrics } });
    const rt = h.fleet.runtime();
    startWorkerPool(rt, EMAIL_PROCESSORS, ['emailProvision', 'emailHealth'], 2);

    await h.svc.provision(await h.load(), h.specDir.dir, { ...FAST, healthEveryMs: 3_600_000 });
    await vi.waitFor(async () => expect((await h!.svc.state.get(name))?.step).toBe('done'), WAIT);
    const channelId = (await h.svc.state.get(name))!.channelId!;
    const schedulers = await h.rt.queues.get('emailHealth').getJobSchedulers();
    expect(schedulers).toHaveLength(1);
    expect(Number(schedulers[0]!.every)).toBe(3_600_000);
    // The scheduler's first run: 1 % bounces is healthy.
    await vi.waitFor(async () => expect((await h!.svc.status(name))?.health?.level).toBe('ok'), WAIT);
    expect((await h.svc.status(name))!.health!.pages).toBe(2);
    expect((await h.svc.status(name))!.health!.sent).toBe(10_000);

    let n = 0;
    const check = async () => {
      const job = await h!.rt.enqueuer.enqueue('emailHealth', { accountId: 'default', channelId, channelName: name }, { jobId: `check-${++n}` });
      await vi.waitFor(async () => expect(await job.getState()).toBe('completed'), WAIT);
      return (await h!.svc.status(name))!;
    };

    h.fleet.sim.configure(totals(600)); // 6 %: warning
    let s = await check();
    expect(s.health?.level).toBe('warn');
    expect(s.health?.bounceRate).toBeCloseTo(0.06, 5);
    expect(s.paused).toBeUndefined();

    h.fleet.sim.configure(totals(1_200)); // 12 %: stop
    s = await check();
    expect(s.health?.level).toBe('stop');
    expect(await isChannelPaused(h.rt.redis, h.fleet.prefix, channelId)).toBe(true);
    expect(s.paused?.reason).toMatch(/bounce rate 12.00% is at or above the stop threshold 10.00%/);

    const metrics = await rt.metrics.registry.metrics();
    expect(metrics).toMatch(/cxone_fleet_email_bounce_rate\{channel="Pipeline inbox"[^}]*\} 0.12/);
    expect(metrics).toMatch(/cxone_fleet_email_channel_paused\{channel="Pipeline inbox"[^}]*\} 1/);
    expect(metrics).toMatch(/cxone_fleet_email_health_crossings_total\{channel="Pipeline inbox",level="warn"[^}]*\} 1/);

    const kinds: string[] = [];
    for await (const r of h.svc.audit.range(0, Date.now() + 1000)) kinds.push(r.kind);
    expect(kinds).toEqual(expect.arrayContaining(['email.health.warn', 'email.health.stop', 'email.channel.paused']));

    // An admin resumes: the channel stays resumed while the rate stays where it was...
    expect(await h.svc.resume(name)).toBe(true);
    s = await check();
    expect(s.paused).toBeUndefined();
    // ...and is paused again only after recovering and crossing the line once more.
    h.fleet.sim.configure(totals(100));
    expect((await check()).health?.level).toBe('ok');
    h.fleet.sim.configure(totals(0, 60)); // 0.6 % complaints: stop
    s = await check();
    expect(s.paused?.reason).toMatch(/complaint rate/);
  });
});

describe('email audit export', () => {
  it('pages across 429s with every record exactly once and in order, and resumes after a crash', async () => {
    h = await startEmailHarness('emaudit', { rateLimit: { rps: 3, retryAfterS: 1 }, email: { auditRecords: 430 } });
    const client = h.rt.cxone.client;
    const { id: channelId } = await createEmailChannel(client, {
      name: 'Audited',
      channelType: 'EMAIL',
      fromAddress: 'a@example.com',
      replyToAddress: 'b@example.com',
      smtpConfig: { host: 'smtp.example.com', port: 587, username: 'u', password: 'p', useTLS: true },
      dkimConfig: { selector: 's1', privateKey: h.specDir.pem, domain: 'example.com' },
      enabled: true,
    });
    const outFile = path.join(h.specDir.dir, 'audit.jsonl');
    const range = { since: new Date(Date.now() - 86_400_000), until: new Date(Date.now() + 60_000) };

    // First run "crashes" after its third page is written.
    const crash = new Error('killed');
    const first = exportChannelAudit({ client, channelId, ...range, outFile, onPage: (p) => { if (p.page === 3) throw crash; } });
    await expect(first).rejects.toBe(crash);
    const partial = readFileSync(outFile, 'utf8').trim().split('\n');
    expect(partial).toHaveLength(300);

    const result = await exportChannelAudit({ client, channelId, ...range, outFile });
    expect(result.resumedFrom).toBe(3);
    expect(result.records).toBe(431); // 430 synthetic + CHANNEL_CREATED
    expect(result.pages).toBe(5);
    const lines = readFileSync(outFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; timestamp: string; action: string });
    expect(lines).toHaveLength(431);
    expect(new Set(lines.map((l) => l.id)).size).toBe(431);
    const times = lines.map((l) => Date.parse(l.timestamp));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(lines.at(-1)!.action).toBe('CHANNEL_CREATED');
    // 3 requests/s against a fleet told 1000/s: the 429s happened, and were waited out.
    expect(h.fleet.sim.stats().rateLimited).toBeGreaterThan(0);

    // Done is done: a third run reads nothing more.
    const before = h.fleet.sim.stats().email.auditQueries;
    await exportChannelAudit({ client, channelId, ...range, outFile });
    expect(h.fleet.sim.stats().email.auditQueries).toBe(before);
  });
});
