// A reading thread of `batchSource`: decodes its share of a capture's chunks (chunks.ts), in order, into its ring of
// shared slots, never more than the ring ahead of the checking thread, and stops when asked or after its last chunk.
import { workerData } from 'worker_threads';
import {
  CAPACITY, META, M_CHUNK_END, M_COUNT, M_LINES, M_MESSAGE, SLOTS, STARTED, STOP, TAKEN, THREAD, WRITTEN, type SlotMessage, type WorkerStart,
} from './batchSource';
import { ChunkReader } from './chunks';
import { EventBatch } from './eventBatch';
import { systemThreadId } from './threadIds';

function run(start: WorkerStart): void {
  const counters = new Int32Array(start.counters);
  // The checking thread decodes this share itself if this is not seen soon (a thread the system could not start).
  Atomics.store(counters, THREAD, systemThreadId());
  Atomics.store(counters, STARTED, 1);
  const meta = new Float64Array(start.meta);
  const batches = start.slots.map((memory) => new EventBatch(CAPACITY, memory));
  let written = 0;
  let sentStrings = 0;
  let table: string[] | undefined;
  /** Waits for the next slot to be free (the checker has taken the batch that was in it); false when told to stop. */
  const free = (): boolean => {
    for (let taken = Atomics.load(counters, TAKEN); written - taken >= SLOTS; taken = Atomics.load(counters, TAKEN)) {
      if (Atomics.load(counters, STOP) === 1) return false;
      Atomics.wait(counters, TAKEN, taken, 1000);
    }
    return Atomics.load(counters, STOP) !== 1;
  };
  const hand = (batch: EventBatch, chunkEnd: boolean, lines: number, message: SlotMessage | undefined): void => {
    const m = (written % SLOTS) * META;
    meta[m + M_COUNT] = batch.count;
    meta[m + M_CHUNK_END] = chunkEnd ? 1 : 0;
    meta[m + M_LINES] = lines;
    meta[m + M_MESSAGE] = message ? 1 : 0;
    // The message first: the checker reads it as soon as it sees the slot written.
    if (message) start.port.postMessage(message);
    Atomics.store(counters, WRITTEN, ++written);
    Atomics.notify(counters, WRITTEN);
  };
  let reader: ChunkReader | undefined;
  try {
    reader = new ChunkReader(start);
    for (;;) {
      if (!free()) return;
      const batch = batches[written % SLOTS];
      if (!reader.fill(batch)) return;
      // The ids of every batch index one table: each chunk's cursor takes the parser the last one closed.
      table ??= batch.strings;
      if (batch.strings !== table) throw new Error('a chunk was read with another string table');
      const strings = batch.strings.length > sentStrings ? batch.strings.slice(sentStrings) : [];
      sentStrings += strings.length;
      const message = batch.slow.length > 0 || strings.length > 0 ? { slow: batch.slow, strings } : undefined;
      hand(batch, reader.chunkEnd, reader.chunkLines, message);
    }
  } catch (e) {
    if (!free()) return;
    const batch = batches[written % SLOTS];
    batch.count = 0;
    hand(batch, true, 0, { slow: [], strings: [], error: e instanceof Error ? e.message : String(e) });
  } finally {
    reader?.close();
  }
}

run(workerData as WorkerStart);
