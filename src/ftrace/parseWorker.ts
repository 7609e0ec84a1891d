// A reading thread of `batchSource`: decodes its share of a capture's chunks, in order, into its ring of shared
// slots, never more than the ring ahead of the checking thread, and stops when asked or after its last chunk.
import * as fs from 'fs';
import { workerData } from 'worker_threads';
import {
  CAPACITY, META, M_CHUNK_END, M_COUNT, M_LINES, M_MESSAGE, SLOTS, STOP, TAKEN, WRITTEN, type SlotMessage, type WorkerStart,
} from './batchSource';
import { EventBatch } from './eventBatch';
import { lineStartFrom, TraceCursor } from './reader';

function run(start: WorkerStart): void {
  const counters = new Int32Array(start.counters);
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
  let fd = -1;
  try {
    fd = fs.openSync(start.file, 'r');
    const size = start.end;
    const at = (chunk: number): number => (chunk === 0 ? start.offset : lineStartFrom(fd, start.offset + chunk * start.chunkBytes, size));
    for (let chunk = start.first; start.offset + chunk * start.chunkBytes < size; chunk += start.step) {
      const cursor = TraceCursor.open(start.file, { offset: at(chunk), line: 1, end: at(chunk + 1) });
      try {
        for (let more = true; more; ) {
          if (!free()) return;
          const batch = batches[written % SLOTS];
          more = cursor.nextBatch(batch) && cursor.position < cursor.size;
          // The ids of every batch index one table: each chunk's cursor takes the parser the last one closed.
          table ??= batch.strings;
          if (batch.strings !== table) throw new Error('a chunk was read with another string table');
          const strings = batch.strings.length > sentStrings ? batch.strings.slice(sentStrings) : [];
          sentStrings += strings.length;
          const message = batch.slow.length > 0 || strings.length > 0 ? { slow: batch.slow, strings } : undefined;
          hand(batch, !more, cursor.nextLine - 1, message);
        }
      } finally {
        cursor.close();
      }
    }
  } catch (e) {
    if (!free()) return;
    const batch = batches[written % SLOTS];
    batch.count = 0;
    hand(batch, true, 0, { slow: [], strings: [], error: e instanceof Error ? e.message : String(e) });
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

run(workerData as WorkerStart);
