// A reading thread of `batchSource`: claims a capture's chunks (chunks.ts) one at a time and decodes each into its
// ring of shared slots, never more than the ring ahead of the checking thread, and stops when asked or when every
// chunk is claimed.
import { workerData } from 'worker_threads';
import {
  CAPACITY, META, M_CHUNK, M_CHUNK_END, M_COUNT, M_LINES, M_MESSAGE, SLOTS, STOP, TAKEN, THREAD, WRITTEN, type SlotMessage, type WorkerStart,
} from './batchSource';
import { ChunkClaims, ChunkReader } from './chunks';
import { EventBatch } from './eventBatch';
import { useDecoderModule } from './hotLines';
import { systemThreadId } from './threadIds';

function run(start: WorkerStart): void {
  useDecoderModule(start.decoder);
  const counters = new Int32Array(start.counters);
  // By which the checking thread, waiting for a batch of a chunk this thread claimed, sees it die.
  Atomics.store(counters, THREAD, systemThreadId());
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
  const hand = (batch: EventBatch, chunk: number, chunkEnd: boolean, lines: number, message: SlotMessage | undefined): void => {
    const m = (written % SLOTS) * META;
    meta[m + M_COUNT] = batch.count;
    meta[m + M_CHUNK] = chunk;
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
    const claims = new ChunkClaims(start.chunks, start.claims);
    for (;;) {
      if (!free()) return;
      // A chunk is claimed only with a slot free for it: one claimed and not begun would wait for a full ring.
      if (!reader.reading) {
        const chunk = claims.claim(start.owner);
        if (chunk < 0) return;
        reader.begin(chunk);
      }
      const batch = batches[written % SLOTS];
      reader.fill(batch);
      // The ids of every batch index one table: each chunk's cursor takes the parser the last one closed.
      table ??= batch.strings;
      if (batch.strings !== table) throw new Error('a chunk was read with another string table');
      const strings = batch.strings.length > sentStrings ? batch.strings.slice(sentStrings) : [];
      sentStrings += strings.length;
      const message = batch.texts.length > 0 || strings.length > 0 ? { texts: batch.texts, strings } : undefined;
      hand(batch, reader.chunk, reader.chunkEnd, reader.chunkLines, message);
    }
  } catch (e) {
    if (!free()) return;
    const batch = batches[written % SLOTS];
    batch.count = 0;
    hand(batch, reader?.chunk ?? -1, true, 0, { texts: [], strings: [], error: e instanceof Error ? e.message : String(e) });
  } finally {
    reader?.close();
  }
}

run(workerData as WorkerStart);
