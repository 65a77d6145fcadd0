// The body of a validation thread: prepares the chunks the producer sends it.
import { parentPort } from 'node:worker_threads';
import { prepareChunk, type ChunkContext, type IntakeRow } from './prepare-chunk.ts';
import type { ThreadReply } from './row-validator.ts';

parentPort?.on('message', (msg: { id: number; chunk: IntakeRow[]; ctx: ChunkContext }) => {
  try {
    const { rejections, valid } = prepareChunk(msg.chunk, msg.ctx);
    const result: ThreadReply = { rejections, valid };
    parentPort!.postMessage({ id: msg.id, result });
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: (err as Error).message });
  }
});
