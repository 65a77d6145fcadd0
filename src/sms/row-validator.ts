// Where a chunk's rows are validated: in this thread, or in a thread beside it so a large
// batch's validation (libphonenumber, zod) runs on another core while this one talks to
// Redis and BullMQ. A thread that fails falls back to this thread; no row is lost.
import { Worker } from 'node:worker_threads';
import { prepareChunk, type ChunkContext, type IntakeRow, type PreparedChunk } from './prepare-chunk.ts';

// Compiled, the thread runs its own JS; from the sources it must register tsx first.
const THREAD_URL = new URL(import.meta.url.endsWith('.ts') ? './validation-thread-boot.mjs' : './validation-thread.js', import.meta.url);

/**
 * What a validation thread sends back: the verdicts without the rows, which this thread
 * still holds. Sending the rows back too tripled the cost of copying a reply (3.0 vs
 * 0.9 µs a row to serialize, 1.7 vs 1.2 to read).
 */
export type ThreadReply = Omit<PreparedChunk, 'chunk'>;

export interface RowValidator {
  prepare(chunk: IntakeRow[], ctx: ChunkContext): Promise<PreparedChunk>;
  close(): Promise<void>;
}

export const inlineValidator: RowValidator = {
  // A promise that rejects when prepareChunk throws, as the thread validator's does.
  prepare: (chunk, ctx) => new Promise((resolve) => resolve(prepareChunk(chunk, ctx))),
  close: () => Promise.resolve(),
};

export function createThreadValidator(): RowValidator {
  let worker: Worker | undefined;
  let broken = false;
  let nextId = 0;
  const pending = new Map<number, { resolve: (p: ThreadReply) => void; reject: (e: Error) => void }>();

  const fail = (err: Error) => {
    broken = true;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  const start = (): Worker => {
    // A small heap: the thread holds one chunk at a time.
    const w = new Worker(THREAD_URL, {
      resourceLimits: { maxOldGenerationSizeMb: 96, maxYoungGenerationSizeMb: 16 },
    });
    w.on('message', (m: { id: number; result?: ThreadReply; error?: string }) => {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.result) p?.resolve(m.result);
      else p?.reject(new Error(m.error ?? 'validation thread failed'));
    });
    w.on('error', fail);
    w.on('exit', (code) => {
      if (pending.size > 0) fail(new Error(`validation thread exited with ${code}`));
    });
    w.unref();
    return w;
  };

  return {
    async prepare(chunk, ctx) {
      if (broken) return prepareChunk(chunk, ctx);
      worker ??= start();
      const id = nextId++;
      try {
        const { rejections, valid } = await new Promise<ThreadReply>((resolve, reject) => {
          pending.set(id, { resolve, reject });
          worker!.postMessage({ id, chunk, ctx });
        });
        return { chunk, rejections, valid };
      } catch {
        return prepareChunk(chunk, ctx);
      }
    },
    async close() {
      await worker?.terminate();
      worker = undefined;
    },
  };
}
