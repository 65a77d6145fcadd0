// Send jobs that carry a chunk of a batch's messages, against real Redis and the simulator
// over HTTP: each message keeps its own fate. A failed attempt hands the message to a job of
// its own (its attempts numbered on) while the chunk carries on; a 429 sends the whole chunk
// back without spending an attempt and its re-run skips what went out; a message handed on
// is never sent by the chunk again; a dead chunk is replayed message by message.
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { redriveDeadLetters } from '../../src/dead-letters.ts';
import { smsSendPayload, type SmsMessageData } from '../../src/queues/payloads.ts';
import { createLogger } from '../../src/logger.ts';
import { createHandOff } from '../../src/sms/hand-off.ts';
import { createSmsSendProcessor } from '../../src/sms/send-processor.ts';
import { sendJobPayload } from '../../src/sms/prepare-chunk.ts';
import { createSmsReplayGuard } from '../../src/sms/replay-guard.ts';
import { createSmsServices, type SmsServices } from '../../src/sms/services.ts';
import { smsSendWorker } from '../../src/sms/sms-send.worker.ts';
import { startTestFleet, type TestFleet } from '../helpers/fleet.ts';
import { jobEnded } from '../helpers/jobs.ts';
import { createTestRedis } from '../helpers/redis.ts';

let fleet: TestFleet | undefined;
afterEach(async () => {
  await fleet?.cleanup();
  fleet = undefined;
});

const numbers = (n: number) => Array.from({ length: n }, (_, i) => `+1415${2_100_000 + i}`);

async function submit(sms: SmsServices, batchId: string, to: string[]) {
  await sms.consent.optIn(to);
  return sms.intake.submit(
    to.map((t, i) => ({ row: i + 1, input: { to: t, text: `message ${i}` } })),
    { batchId, defaults: { from: 'ACME', campaignId: 'c1' } },
  );
}

/** A fleet with a 3-message batch submitted; its one send job, taken out of the way. */
async function threeInOneChunk(label: string, batchId: string) {
  fleet = await startTestFleet({ label });
  const rt = fleet.runtime();
  const sms = createSmsServices(rt);
  await submit(sms, batchId, numbers(3));
  const queue = rt.queues.get('smsSend');
  const [chunk] = (await queue.getJobs(['prioritized', 'waiting'])) as Job[];
  return { sim: fleet.sim, rt, sms, queue, chunk: chunk! };
}

const dispatched = async (sms: SmsServices, batchId: string) => (await sms.store.getBatch(batchId))?.counts.dispatched ?? 0;

describe('chunked sms-send jobs', () => {
  it('puts a batch in chunks, and a message whose attempt fails goes on in a job of its own', async () => {
    // One API request in three answers 503: some messages of each chunk fail their first attempt.
    fleet = await startTestFleet({ label: 'chunk5xx', sim: { faults: { errorRate: 0.35 } }, env: { SMS_MESSAGES_PER_JOB: '10' } });
    const rt = fleet.runtime();
    const sms = createSmsServices(rt);
    expect(await submit(sms, 'ck', numbers(40))).toMatchObject({ accepted: 40 });
    const queue = rt.queues.get('smsSend');
    const chunks = (await queue.getJobs(['prioritized', 'waiting'])) as Job[];
    expect(chunks.map((j) => j.id).sort()).toEqual(['ck.1+10', 'ck.11+10', 'ck.21+10', 'ck.31+10']);

    fleet.workers({ smsSend: smsSendWorker }, ['smsSend'], 4);
    // The chunks finish with their failures handed on, and those jobs fail for a while too.
    await vi.waitFor(async () => expect(await queue.getJobCounts('completed')).toMatchObject({ completed: expect.any(Number) }), { timeout: 5_000 });
    await vi.waitFor(async () => expect((await Promise.all(chunks.map((c) => queue.getJobState(c.id!)))).every((s) => s === 'completed')).toBe(true), { timeout: 30_000, interval: 50 });
    fleet.sim.configure({ faults: null });
    await vi.waitFor(async () => expect(await dispatched(sms, 'ck')).toBe(40), { timeout: 60_000, interval: 100 });

    // Every message went out once (one CXone message per idempotency key).
    expect(fleet.sim.stats().sms.accepted).toBe(40);
    const own = ((await queue.getJobs(['completed'])) as Job[]).filter((j) => !String(j.id).includes('+'));
    expect(own.length).toBeGreaterThan(0); // at a 35 % error rate some first attempts failed
    for (const j of own) {
      const data = j.data as SmsMessageData;
      expect(j.id).toBe(data.messageId);
      const record = await sms.store.getMessage(data.messageId);
      // Attempts count on from the chunk's: the first attempt of its own job is the second.
      expect(record!.attempts).toBeGreaterThanOrEqual(2);
      expect(record!.attempts).toBe(j.attemptsMade + data.priorAttempts!);
    }
    // The chunks spent one attempt each: a failure inside one is the message's, not the chunk's.
    for (const c of chunks) expect((await queue.getJob(c.id!))!.attemptsMade).toBe(1);
  });

  it('sends a chunk back without spending an attempt on a 429, and its re-run skips what went out', async () => {
    fleet = await startTestFleet({ label: 'chunk429', sim: { rateLimit: { rps: 5, retryAfterS: 1 } }, env: { SMS_MESSAGES_PER_JOB: '10', CXONE_RATE_LIMIT_RPS: '50' } });
    const rt = fleet.runtime();
    const sms = createSmsServices(rt);
    await submit(sms, 'cr', numbers(30));
    fleet.workers({ smsSend: smsSendWorker }, ['smsSend'], 3);
    await vi.waitFor(async () => expect(await dispatched(sms, 'cr')).toBe(30), { timeout: 60_000, interval: 100 });
    expect(fleet.sim.stats().rateLimited).toBeGreaterThan(0);
    expect(fleet.sim.stats().sms.accepted).toBe(30);
    // A message is recorded dispatched before its chunk's job is moved to completed.
    const jobs = await vi.waitFor(async () => {
      const done = (await rt.queues.get('smsSend').getJobs(['completed'])) as Job[];
      expect(done).toHaveLength(3);
      return done;
    }, { timeout: 30_000, interval: 50 });
    for (const j of jobs) {
      expect(j.attemptsMade).toBe(1);
      expect(j.attemptsStarted).toBeGreaterThan(1); // sent back at least once
    }
    for (let i = 1; i <= 30; i++) expect((await sms.store.getMessage(`cr.${i}`))!.attempts).toBe(1);
  });

  it('never sends a message a chunk has handed to a job of its own', async () => {
    const { sim, sms, queue, chunk } = await threeInOneChunk('chunkown', 'co');
    // Take the intake's chunk out and play a chunk that handed message 2 on (its record names
    // its own job), then crashed before finishing.
    const messages = (chunk.data as { messages: SmsMessageData[] }).messages;
    await chunk.remove();
    await sms.store.transition('co.2', 'queued', { job: 'co.2', lastError: 'CXONE_UNAVAILABLE', attempts: 1 }, { batchId: 'co' });
    await queue.add('sms-send', sendJobPayload(chunk.id!, messages), { jobId: chunk.id! });
    fleet!.workers({ smsSend: smsSendWorker }, ['smsSend'], 1);
    await vi.waitFor(async () => expect(await dispatched(sms, 'co')).toBe(2), { timeout: 15_000, interval: 50 });
    await vi.waitFor(async () => expect(await queue.getJobState(chunk.id!)).toBe('completed'), { timeout: 15_000, interval: 50 });
    expect(((await queue.getJob(chunk.id!)) as Job).returnvalue).toEqual({ sent: 2, skipped: 1, handedOff: 0 });
    expect((await sms.store.getMessage('co.2'))!.state).toBe('queued');
    expect(sim.stats().sms.accepted).toBe(2);
  });

  it('a resumed intake re-adds the job its records name, so no message is ever in two live jobs', async () => {
    fleet = await startTestFleet({ label: 'chunkresume', env: { SMS_MESSAGES_PER_JOB: '10' } });
    const rt = fleet.runtime();
    const sms = createSmsServices(rt);
    const to = numbers(4);
    // An intake that created the records of rows 1-2 under a chunk and died before adding it.
    const record = (row: number) => ({ messageId: `cz.${row}`, row, to: to[row - 1]!, campaignId: 'c1', encoding: 'GSM-7', segments: 1, priority: 'bulk', job: 'cz.1+2' });
    await sms.store.createMessages('cz', [record(1), record(2)]);
    const summary = await submit(sms, 'cz', to);
    expect(summary).toMatchObject({ total: 4, accepted: 4 });
    const queue = rt.queues.get('smsSend');
    const jobs = (await queue.getJobs(['prioritized', 'waiting'])) as Job[];
    const carried: Record<string, string[]> = Object.fromEntries(jobs.map((j) => [String(j.id), (j.data as { messages: SmsMessageData[] }).messages.map((m) => m.messageId)]));
    // Rows 1-2 in the job their records name; rows 3-4 in a new chunk of their own.
    expect(carried['cz.1+2']).toEqual(['cz.1', 'cz.2']);
    expect(Object.values(carried).sort()).toEqual([
      ['cz.1', 'cz.2'],
      ['cz.3', 'cz.4'],
    ]);
    // Again, with the jobs live: nothing new.
    await submit(sms, 'cz', to);
    expect(await queue.getJobCounts('prioritized', 'waiting')).toEqual({ prioritized: 2, waiting: 0 });
    fleet.workers({ smsSend: smsSendWorker }, ['smsSend'], 2);
    await vi.waitFor(async () => expect(await dispatched(sms, 'cz')).toBe(4), { timeout: 15_000, interval: 50 });
    expect(fleet.sim.stats().sms.accepted).toBe(4);
  });

  it('records again, once the job is completed, dispatches a Redis that lost its last writes forgot', async () => {
    const { rt, sms, queue, chunk } = await threeInOneChunk('chunkforgot', 'cf');
    // The first record step "succeeds" and is then forgotten, as after a host crash that
    // lost the last second of writes (the chaos suite's redis-host-crash does it for real).
    let forget = true;
    const store = {
      ...sms.store,
      transitionMany: async (batchId: string, items: Parameters<typeof sms.store.transitionMany>[1]) => {
        if (!forget) return sms.store.transitionMany(batchId, items);
        forget = false;
        return items.map(() => ({ changed: true }));
      },
    };
    const processor = createSmsSendProcessor({ client: rt.cxone.client, store, consent: sms.consent, handOff: createHandOff(queue) });
    const ctx = { job: chunk, signal: new AbortController().signal, log: createLogger({ level: 'silent' }), attempt: 1, token: undefined };
    expect(await processor(smsSendPayload.parse(chunk.data), ctx)).toEqual({ sent: 3, skipped: 0, handedOff: 0 });
    expect(forget).toBe(false);
    // A completion sent after Redis came back is kept although the records were not: the
    // check after completion (the worker calls it on BullMQ's completed event) records them.
    await processor.afterCompleted!(String(chunk.id));
    for (const id of ['cf.1', 'cf.2', 'cf.3']) expect((await sms.store.getMessage(id))!.state).toBe('dispatched');
    expect((await sms.store.getBatch('cf'))!.counts).toEqual({ dispatched: 3 });
    expect(fleet!.sim.stats().sms.accepted).toBe(3);
  });

  it('hands on, once the job is completed, a message whose hand-off a Redis that lost its last writes forgot', async () => {
    const { rt, sms, queue, chunk } = await threeInOneChunk('chunkstrand', 'cs');
    // Every attempt fails (503): each message is handed to a job of its own; Redis then
    // "forgets" the hand-offs and the records that name them, as after a host crash.
    fleet!.sim.configure({ faults: { errorRate: 1 } });
    let forget = true;
    const realHandOff = createHandOff(queue);
    const store = {
      ...sms.store,
      transition: (async (...args: Parameters<typeof sms.store.transition>) => (forget && args[1] === 'queued' ? { changed: true } : sms.store.transition(...args))) as typeof sms.store.transition,
    };
    const handOff = (m: SmsMessageData, failed: number) => (forget ? Promise.resolve() : realHandOff(m, failed));
    const processor = createSmsSendProcessor({ client: rt.cxone.client, store, consent: sms.consent, handOff });
    const ctx = { job: chunk, signal: new AbortController().signal, log: createLogger({ level: 'silent' }), attempt: 1, token: undefined };
    expect(await processor(smsSendPayload.parse(chunk.data), ctx)).toEqual({ sent: 0, skipped: 0, handedOff: 3 });
    expect(await queue.getJobCountByTypes('waiting', 'delayed', 'prioritized')).toBe(1); // the chunk itself, taken by hand
    await chunk.remove();
    forget = false;
    fleet!.sim.configure({ faults: null });

    await processor.afterCompleted!(String(chunk.id));
    const own = (await queue.getJobs(['delayed', 'waiting', 'prioritized'])) as Job[];
    expect(own.map((j) => j.id).sort()).toEqual(['cs.1', 'cs.2', 'cs.3']);
    fleet!.workers({ smsSend: smsSendWorker }, ['smsSend'], 1);
    await vi.waitFor(async () => expect(await dispatched(sms, 'cs')).toBe(3), { timeout: 30_000, interval: 50 });
    expect(fleet!.sim.stats().sms.accepted).toBe(3);
  });

  it('a closing worker finishes the message in hand and puts the rest of its chunk back for another', async () => {
    fleet = await startTestFleet({ label: 'chunkclose', env: { SMS_MESSAGES_PER_JOB: '20', CXONE_RATE_LIMIT_RPS: '10' } });
    const rt = fleet.runtime();
    const sms = createSmsServices(rt);
    await submit(sms, 'cc', numbers(20));
    const queue = rt.queues.get('smsSend');
    const first = fleet.workers({ smsSend: smsSendWorker }, ['smsSend'], 1);
    await vi.waitFor(async () => expect(fleet!.sim.stats().sms.accepted).toBeGreaterThanOrEqual(3), { timeout: 15_000, interval: 20 });
    await first.close();
    // The chunk went back without spending an attempt, its first messages recorded.
    const [job] = (await queue.getJobs(['delayed', 'waiting', 'prioritized'])) as Job[];
    expect(job!.id).toBe('cc.1+20');
    expect(job!.attemptsMade).toBe(0);
    const sentBefore = fleet.sim.stats().sms.accepted;
    expect(sentBefore).toBeLessThan(20);
    expect(await dispatched(sms, 'cc')).toBe(sentBefore);

    fleet.workers({ smsSend: smsSendWorker }, ['smsSend'], 1);
    await vi.waitFor(async () => expect(await dispatched(sms, 'cc')).toBe(20), { timeout: 30_000, interval: 50 });
    expect(fleet.sim.stats().sms.accepted).toBe(20);
    expect(fleet.sim.stats().sms.duplicates).toBe(0);
    const chunk = await jobEnded(queue, 'cc.1+20', { timeout: 30_000, interval: 50 });
    expect(await chunk.getState()).toBe('completed');
    expect(chunk.attemptsMade).toBe(1);
  });

  it('replays a dead chunk for the messages CXone may not have, and only those', async () => {
    const { sim, rt, sms, queue, chunk } = await threeInOneChunk('chunkdlq', 'cd');
    // The chunk dies as a whole (taken and failed by hand, as a stalled-out job would be);
    // message 1 had gone out, message 3 had been settled failed by its own job meanwhile.
    await sms.store.transition('cd.1', 'dispatched', { cxoneId: 'cx-earlier', attempts: 1 }, { batchId: 'cd' });
    await sms.store.transition('cd.3', 'failed', { lastError: 'CXONE_UNAVAILABLE', attempts: 8 }, { batchId: 'cd' });
    const connection = createTestRedis('worker');
    const taker = new Worker(queue.name, null, { connection, prefix: fleet!.prefix, autorun: false });
    const taken = await taker.getNextJob('by-hand');
    expect(taken.id).toBe(chunk.id);
    await taken.moveToFailed(new UnrecoverableError('job stalled more than allowable limit'), 'by-hand', false);
    await taker.close();
    await connection.quit();
    expect(await queue.getJobState(chunk.id!)).toBe('failed');

    const report = await redriveDeadLetters(rt.queues, 'smsSend', { ids: [chunk.id!], guard: createSmsReplayGuard({ store: sms.store, audit: sms.audit, accountId: rt.config.cxone.accountId }) });
    expect(report).toMatchObject({ replayed: [chunk.id!], skipped: [], errors: [] });
    // Message 3 was reopened, message 1 left alone.
    expect((await sms.store.getMessage('cd.3'))!.state).toBe('queued');
    fleet!.workers({ smsSend: smsSendWorker }, ['smsSend'], 1);
    await vi.waitFor(async () => expect((await sms.store.getMessage('cd.3'))!.state).toBe('dispatched'), { timeout: 15_000, interval: 50 });
    expect((await sms.store.getMessage('cd.2'))!.state).toBe('dispatched');
    expect((await sms.store.getMessage('cd.1'))!.cxoneId).toBe('cx-earlier');
    expect(sim.stats().sms.accepted).toBe(2);
  });
});
