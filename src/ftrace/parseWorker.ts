// The worker thread of `batchesOf`: reads a capture from a line on, decodes it into batches and sends each one
// (its records transferred, not copied), staying at most AHEAD batches in front of the checker.
import { workerData } from 'worker_threads';
import { AHEAD, SENT, STOP, TAKEN, type BatchMessage, type WorkerStart } from './batchSource';
import { EventBatch } from './eventBatch';
import { TraceCursor } from './reader';

function run(start: WorkerStart): void {
  const counters = new Int32Array(start.counters);
  const send = (m: BatchMessage, transfer: ArrayBuffer[]): void => {
    start.port.postMessage(m, transfer);
    Atomics.add(counters, SENT, 1);
    Atomics.notify(counters, SENT);
  };
  let cursor: TraceCursor | undefined;
  try {
    cursor = TraceCursor.open(start.file, { offset: start.offset, line: start.line });
    let sentStrings = 0;
    for (let sent = 0; ; sent++) {
      for (let taken = Atomics.load(counters, TAKEN); sent - taken >= AHEAD && !Atomics.load(counters, STOP); taken = Atomics.load(counters, TAKEN)) {
        Atomics.wait(counters, TAKEN, taken);
      }
      if (Atomics.load(counters, STOP)) break;
      const batch = new EventBatch();
      const more = cursor.nextBatch(batch);
      const strings = batch.strings.slice(sentStrings);
      sentStrings = batch.strings.length;
      send({ records: batch.records, count: batch.count, slow: batch.slow, strings, nextLine: cursor.nextLine, done: !more }, [batch.records.buffer as ArrayBuffer]);
      if (!more) break;
    }
  } catch (e) {
    send({ count: 0, slow: [], strings: [], nextLine: 0, done: true, error: e instanceof Error ? e.message : String(e) }, []);
  } finally {
    cursor?.close();
    start.port.close();
  }
}

run(workerData as WorkerStart);
