// The reading thread of `batchSource`: decodes a capture from a given line into the ring of shared slots, never
// more than the ring ahead of the checking thread, and stops when asked or at the end of the file.
import { workerData } from 'worker_threads';
import {
  CAPACITY, META, M_COUNT, M_DONE, M_MESSAGE, M_NEXT_LINE, SLOTS, STOP, TAKEN, WRITTEN, type SlotMessage, type WorkerStart,
} from './batchSource';
import { EventBatch } from './eventBatch';
import { TraceCursor } from './reader';

function run(start: WorkerStart): void {
  const counters = new Int32Array(start.counters);
  const meta = new Float64Array(start.meta);
  const batches = start.slots.map((memory) => new EventBatch(CAPACITY, memory));
  let cursor: TraceCursor | undefined;
  let sentStrings = 0;
  for (let written = 0; ; written++) {
    // Wait for the slot to be free: the checker has taken the batch that was in it.
    for (let taken = Atomics.load(counters, TAKEN); written - taken >= SLOTS; taken = Atomics.load(counters, TAKEN)) {
      if (Atomics.load(counters, STOP) === 1) return cursor?.close();
      Atomics.wait(counters, TAKEN, taken, 1000);
    }
    if (Atomics.load(counters, STOP) === 1) return cursor?.close();
    const slot = written % SLOTS;
    const batch = batches[slot];
    let more = false;
    let message: SlotMessage | undefined;
    try {
      cursor ??= TraceCursor.open(start.file, { offset: start.offset, line: start.line });
      more = cursor.nextBatch(batch);
      const strings = batch.strings.length > sentStrings ? batch.strings.slice(sentStrings) : [];
      sentStrings += strings.length;
      if (batch.slow.length > 0 || strings.length > 0) message = { slow: batch.slow, strings };
    } catch (e) {
      batch.count = 0;
      message = { slow: [], strings: [], error: e instanceof Error ? e.message : String(e) };
    }
    const m = slot * META;
    meta[m + M_COUNT] = batch.count;
    meta[m + M_NEXT_LINE] = cursor?.nextLine ?? start.line;
    meta[m + M_DONE] = more ? 0 : 1;
    meta[m + M_MESSAGE] = message ? 1 : 0;
    // The message first: the checker reads it as soon as it sees the slot written.
    if (message) start.port.postMessage(message);
    Atomics.store(counters, WRITTEN, written + 1);
    Atomics.notify(counters, WRITTEN);
    if (!more) return cursor?.close();
  }
}

run(workerData as WorkerStart);
