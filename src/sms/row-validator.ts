// Where a chunk's rows are validated: in this thread, or in a thread beside it so a large
// batch's validation (libphonenumber, zod) runs on another core while this one talks to
// Redis and BullMQ. A thread that fails falls back to this thread; no row is lost.
import { Worker } from 'node:worker_threads';
import { prepareChunk, type ChunkContext, type IntakeRow, type PreparedChunk } from './prepare-chunk.ts';

export interface RowValidator {
  prepare(chunk: IntakeRow[], ctx: ChunkContext): Promise<PreparedChunk>;
  close(): Promise<void>;
}

export const inlineValidator: RowValidator = {
  prepare: async (chunk, ctx) => prepareChunk(chunk, ctx),
  close: async () => undefined,
};

export function createThreadValidator(): RowValidator {
  let worker: Worker | undefined;
  let broken = false;
  let nextId = 0;
  const pending = new Map<number, { resolve: (p: PreparedChunk) => void; reject: (e: Error) => void }>();

  const fail = (err: Error) => {
    broken = true;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  const start = (): Worker => {
    // A small heap: the thread holds one chunk at a time.
    const w = new Worker(new URL('./validation-thread-boot.mjs', import.meta.url), {
      resourceLimits: { maxOldGenerationSizeMb: 96, maxYoungGenerationSizeMb: 16 },
    });
    w.on('message', (m: { id: number; result?: PreparedChunk; error?: string }) => {
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
        return await new Promise<PreparedChunk>((resolve, reject) => {
          pending.set(id, { resolve, reject });
          worker!.postMessage({ id, chunk, ctx });
        });
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
