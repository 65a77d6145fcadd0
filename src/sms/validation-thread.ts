// The body of a validation thread: prepares the chunks the producer sends it.
import { parentPort } from 'node:worker_threads';
import { prepareChunk, type ChunkContext, type IntakeRow } from './prepare-chunk.ts';

parentPort?.on('message', (msg: { id: number; chunk: IntakeRow[]; ctx: ChunkContext }) => {
  try {
    parentPort!.postMessage({ id: msg.id, result: prepareChunk(msg.chunk, msg.ctx) });
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: (err as Error).message });
  }
});
