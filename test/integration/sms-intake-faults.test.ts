// SMS intake under the faults an operator meets, end to end: the CLI as a process reading a
// file, sms-send worker processes, the simulator over HTTP, real Redis. Each message must
// reach its recipient once (the simulator's repeatedRecipients stays 0), whatever stops the
// intake halfway: a malformed record, a Redis stall, a crash.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createProducerContext, type ProducerContext } from '../../src/producer-context.ts';
import { waitForReady } from '../../src/redis.ts';
import { createSmsServices, type SmsServices } from '../../src/sms/services.ts';
import { startEphemeralRedis, type EphemeralRedis } from '../helpers/ephemeral-redis.ts';
import { startTestFleet, type TestFleet } from '../helpers/fleet.ts';
import { jsonLines, startCli, startSendWorkers, useProcesses } from '../helpers/sms-processes.ts';

const ROWS = 3000;
const dir = mkdtempSync(join(tmpdir(), 'cxf-intake-'));
const numbers = Array.from({ length: ROWS }, (_, i) => `+1415${2_000_000 + i}`);
const line = (i: number) => `${numbers[i]},Hello number ${i + 1}`;

let fleet: TestFleet | undefined;
let ctx: ProducerContext | undefined;
let redisServer: EphemeralRedis | undefined;
afterEach(async () => {
  await ctx?.close();
  await fleet?.cleanup();
  await redisServer?.destroy();
  ctx = fleet = redisServer = undefined;
});
// After hooks run last registered first: the worker processes are gone before the keys are
// cleaned, so none writes one back.
useProcesses();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function setup(env: Record<string, string> = {}): Promise<{ sms: SmsServices; env: Record<string, string> }> {
  fleet = await startTestFleet({ label: 'intake', env });
  ctx = createProducerContext(loadConfig(fleet.env), { role: 'test', logger: createLogger({ level: 'silent' }) });
  await waitForReady(ctx.redis);
  const sms = createSmsServices(ctx);
  await sms.consent.optIn(numbers);
  return { sms, env: { ...fleet.env, SMS_DEFAULT_REGION: 'US' } };
}

/** No delivery webhooks here: every message that went out ends `dispatched`. */
async function waitDispatched(sms: SmsServices, batchId: string, n: number) {
  await vi.waitFor(
    async () => {
      const b = await sms.store.getBatch(batchId);
      if ((b?.counts.dispatched ?? 0) !== n) throw new Error(`dispatched ${JSON.stringify(b?.counts)}, want ${n}`);
    },
    { timeout: 120_000, interval: 200 },
  );
}

function expectEachSentOnce(total: number) {
  const s = fleet!.sim.stats().sms;
  expect(s.accepted).toBe(total);
  expect(s.distinctRecipients).toBe(total);
  expect(s.repeatedRecipients).toBe(0);
}

/** A named pipe: the test decides when the CLI gets the rest of its file. */
function fifo(name: string) {
  const path = join(dir, name);
  execFileSync('mkfifo', [path]);
  return path;
}

async function writeLines(out: NodeJS.WritableStream, from: number, to: number) {
  for (let i = from; i < to; i++) if (!out.write(`${line(i)}\n`)) await once(out, 'drain');
}

const send = ['sms', 'send', '--json', '--campaign', 'c1', '--from', 'ACME'];

/**
 * An ephemeral Redis, send workers, and an intake reading a named pipe, fed until its first
 * 1,000-row chunk is recorded in Redis: the moment both stall tests freeze Redis.
 */
async function intakeWithFirstChunkStored(pipeName: string, cliEnv: Record<string, string> = {}) {
  redisServer = await startEphemeralRedis();
  const { sms, env } = await setup({ REDIS_URL: redisServer.url });
  startSendWorkers(env);
  const pipe = fifo(pipeName);
  const run = startCli([...send, '--file', pipe], { ...env, ...cliEnv });
  const out = createWriteStream(pipe);
  out.write('to,text\n');
  await writeLines(out, 0, 1500);
  await vi.waitFor(() => expect(jsonLines(run.stdout())[0]).toHaveProperty('batchId'), { timeout: 30_000, interval: 50 });
  const { batchId } = jsonLines(run.stdout())[0] as { batchId: string };
  await vi.waitFor(async () => expect((await sms.store.getBatch(batchId))?.accepted).toBe(1000), { timeout: 60_000, interval: 100 });
  return { redis: redisServer, sms, env, pipe, run, out, batchId };
}

describe('SMS intake under faults', () => {
  it('a stray quote on row 2,501 of 3,000 rejects that row; the other 2,999 go out once, and a new run of the corrected file sends only the missing one', async () => {
    const { sms, env } = await setup();
    const file = join(dir, 'stray.csv');
    const rows = numbers.map((_, i) => (i === 2500 ? `${numbers[i]},Your code is "1234"` : line(i)));
    writeFileSync(file, `to,text\n${rows.join('\n')}\n`);
    startSendWorkers(env);

    const run = startCli([...send, '--file', file], env);
    expect(await run.exited).toBe(3);
    const [head, { summary }] = jsonLines(run.stdout()) as [{ batchId: string }, { summary: Record<string, unknown> }];
    expect(summary).toMatchObject({ batchId: head.batchId, total: 3000, accepted: 2999, rejected: 1 });
    expect(await sms.store.getRejections(head.batchId)).toEqual([
      { row: 2501, reasons: [{ field: '(row)', message: expect.stringMatching(/^a quote inside an unquoted field/) }] },
    ]);
    await waitDispatched(sms, head.batchId, 2999);
    expectEachSentOnce(2999);

    // The operator fixes the quote and runs the file again as a new batch: the duplicate
    // window refuses every row that already went out, naming where it went, and sends 2,501.
    const fixed = join(dir, 'fixed.csv');
    writeFileSync(fixed, `to,text\n${rows.map((r, i) => (i === 2500 ? `${numbers[i]},"Your code is ""1234"""` : r)).join('\n')}\n`);
    const again = startCli([...send, '--file', fixed, '--batch-id', 'fixed-run'], env);
    expect(await again.exited).toBe(3);
    expect(jsonLines(again.stdout())[1]).toMatchObject({
      summary: { total: 3000, accepted: 1, rejected: 2999, rejectedByReason: { 'to: duplicate within the duplicate window': 2999 } },
    });
    const refused = await sms.store.getRejections('fixed-run', 0, 1);
    expect(refused[0]!.reasons[0]!.message).toMatch(new RegExp(`^duplicate of ${head.batchId}/1 \\(same recipient, sender and text within 24 h`));
    await waitDispatched(sms, 'fixed-run', 1);
    expectEachSentOnce(3000);
  }, 240_000);

  it('an intake killed halfway, re-run with --batch-id, sends the missing rows once and nothing twice', async () => {
    const { sms, env } = await setup();
    startSendWorkers(env);
    const pipe = fifo('crash.csv');
    const run = startCli([...send, '--file', pipe, '--batch-id', 'crashed'], env);
    const out = createWriteStream(pipe);
    out.write('to,text\n');
    // 1,500 rows: one 1,000-row chunk written, 500 read and held when the process dies.
    await writeLines(out, 0, 1500);
    await vi.waitFor(async () => expect((await sms.store.getBatch('crashed'))?.accepted).toBe(1000), { timeout: 60_000, interval: 100 });
    run.child.kill('SIGKILL');
    expect(await run.exited).toBe(null);
    out.destroy();
    expect(jsonLines(run.stdout())[0]).toEqual({ batchId: 'crashed' });

    // A crash between creating a chunk's records and adding its jobs leaves records with no
    // job; make ten such rows. The re-run must enqueue them, and no row sent before.
    await sms.store.createMessages(
      'crashed',
      Array.from({ length: 10 }, (_, k) => ({ messageId: `crashed.${1501 + k}`, row: 1501 + k, to: numbers[1500 + k]!, campaignId: 'c1', encoding: 'GSM-7', segments: 1, priority: 'bulk' })),
    );
    const file = join(dir, 'crash-full.csv');
    writeFileSync(file, `to,text\n${numbers.map((_, i) => line(i)).join('\n')}\n`);
    const resumed = startCli([...send, '--file', file, '--resume', 'crashed'], env);
    expect(await resumed.exited).toBe(0);
    expect(jsonLines(resumed.stdout())[1]).toMatchObject({ summary: { total: 3000, accepted: 2000, resumed: 1000, rejected: 0 } });
    await waitDispatched(sms, 'crashed', 3000);
    expectEachSentOnce(3000);
    expect(await sms.store.getBatch('crashed')).toMatchObject({ total: 3000, accepted: 3000, rejected: 0, duplicates: 0 });
  }, 240_000);

  it('a Redis stall during intake is waited out: the intake carries on and each message goes out once', async () => {
    const { redis, sms, run, out, batchId } = await intakeWithFirstChunkStored('stall.csv');

    redis.freeze();
    try {
      await writeLines(out, 1500, ROWS);
      out.end();
      // The CLI meets the hung Redis (its commands time out after 2 s) and says it waits.
      await vi.waitFor(() => expect(run.stderr()).toContain('Redis is not answering'), { timeout: 60_000, interval: 100 });
      // The stall goes on past several command timeouts before Redis comes back.
      await new Promise((r) => setTimeout(r, 5_000));
    } finally {
      redis.thaw();
    }
    expect(await run.exited).toBe(0);
    expect(jsonLines(run.stdout())[1]).toMatchObject({ summary: { total: 3000, accepted: 3000, rejected: 0 } });
    await waitDispatched(sms, batchId, 3000);
    expectEachSentOnce(3000);
    expect(await sms.store.getBatch(batchId)).toMatchObject({ total: 3000, accepted: 3000, duplicates: 0 });
  }, 240_000);

  it('an intake that outwaits its Redis stops, printing the batch id and the exact command that resumes it', async () => {
    const { redis, sms, env, pipe, run, out, batchId } = await intakeWithFirstChunkStored('outage.csv', { SMS_INTAKE_REDIS_WAIT_S: '3' });

    redis.freeze();
    let code: number | null;
    try {
      await writeLines(out, 1500, ROWS);
      out.end();
      code = await run.exited; // while Redis is still frozen: giving up must not hang
    } finally {
      redis.thaw();
    }
    expect(code).toBe(1);
    const resume = `npx cxone-fleet sms send --file ${pipe} --campaign c1 --from ACME --batch-id ${batchId} --json`;
    // The first chunk's figures are in Redis (waited for above); whether their reply reached
    // the CLI before the freeze is a race, so it reports 0 or 1000 rows done, never more.
    const stopped = jsonLines(run.stdout())[1] as { rowsDone: number };
    expect([0, 1000]).toContain(stopped.rowsDone);
    expect(stopped).toEqual({ error: expect.stringMatching(/^Redis did not answer for \d+ s/), batchId, rowsDone: stopped.rowsDone, resume });
    expect(run.stderr()).toContain(`cxone-fleet: batch ${batchId} stopped after ${stopped.rowsDone} rows`);
    expect(run.stderr()).toContain(`Resume with:\n  ${resume}\n`);

    // The same file, whole, where the command expects it; then the printed command as typed.
    rmSync(pipe);
    writeFileSync(pipe, `to,text\n${numbers.map((_, i) => line(i)).join('\n')}\n`);
    const again = startCli(resume.split(' ').slice(2), env);
    expect(await again.exited).toBe(0);
    // Writes the first run sent into the frozen socket may have landed when Redis woke.
    const { summary } = jsonLines(again.stdout())[1] as { summary: { total: number; accepted: number; resumed: number } };
    expect(summary.total).toBe(3000);
    expect(summary.resumed).toBeGreaterThanOrEqual(1000);
    expect(summary.accepted + summary.resumed).toBe(3000);
    await waitDispatched(sms, batchId, 3000);
    expectEachSentOnce(3000);
    expect(await sms.store.getBatch(batchId)).toMatchObject({ total: 3000, accepted: 3000, duplicates: 0 });
  }, 240_000);
});
