// Where `checkTrace` gets its batches of decoded lines: from the cursor on this thread, or, for a large file on a
// machine with a second core, from a worker thread that reads and decodes ahead while this one checks. Batches pass
// through a ring of slots in shared memory (handing a buffer over per batch cost more than the decoding it saved);
// only a batch's slow lines and new strings, when it has any, travel as a message.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'worker_threads';
import { EventBatch, STRIDE } from './eventBatch';
import type { TraceCursor } from './reader';

export interface BatchSource {
  /** The next batch, valid until the next call; undefined at the end. */
  next(): EventBatch | undefined;
  /** The number of the line after the last one read. */
  readonly nextLine: number;
  close(): void;
}

/** Indexes into the shared counters: batches written and taken, and a stop request. */
export const WRITTEN = 0;
export const TAKEN = 1;
export const STOP = 2;
/** Per slot, in the shared meta numbers: records in it, whether a message goes with it, the next line, the end. */
export const M_COUNT = 0;
export const M_MESSAGE = 1;
export const M_NEXT_LINE = 2;
export const M_DONE = 3;
export const META = 4;
/** Slots in the ring: how far the reader may run ahead. */
export const SLOTS = 4;
/** Records per slot. */
export const CAPACITY = 8192;

/** What the reading thread is given. */
export interface WorkerStart {
  file: string;
  offset: number;
  line: number;
  counters: SharedArrayBuffer;
  meta: SharedArrayBuffer;
  slots: SharedArrayBuffer[];
  port: MessagePort;
}

/** What goes with a slot whose `M_MESSAGE` is set. */
export interface SlotMessage {
  slow: string[];
  /** Strings added to the reader's table since its last message. */
  strings: string[];
  error?: string;
}

/** Below this many bytes left, starting a thread costs more than it saves. */
const WORKER_MIN_BYTES = 16 * 1024 * 1024;
const WORKER_FILE = path.join(__dirname, 'parseWorker.js');
/** How long the checker waits for a batch before it takes the reading thread for dead. */
const STALL_MS = 60_000;

class CursorBatches implements BatchSource {
  private readonly batch = new EventBatch();
  constructor(private readonly cursor: TraceCursor) {}

  next(): EventBatch | undefined {
    return this.cursor.nextBatch(this.batch) ? this.batch : undefined;
  }

  get nextLine(): number {
    return this.cursor.nextLine;
  }

  close(): void {
    this.cursor.close();
  }
}

class WorkerBatches implements BatchSource {
  private readonly counters = new Int32Array(new SharedArrayBuffer(3 * 4));
  private readonly meta = new Float64Array(new SharedArrayBuffer(SLOTS * META * 8));
  private readonly batches: EventBatch[] = [];
  private readonly strings: string[] = [];
  private readonly port: MessagePort;
  private readonly worker: Worker;
  private taken = 0;
  private done = false;
  nextLine: number;

  constructor(private readonly cursor: TraceCursor, file: string) {
    const slots = Array.from({ length: SLOTS }, () => new SharedArrayBuffer(CAPACITY * STRIDE * 8));
    for (const memory of slots) this.batches.push(new EventBatch(CAPACITY, memory));
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.nextLine = cursor.nextLine;
    const start: WorkerStart = {
      file, offset: cursor.position, line: cursor.nextLine, port: port2, slots,
      counters: this.counters.buffer as SharedArrayBuffer, meta: this.meta.buffer as SharedArrayBuffer,
    };
    this.worker = new Worker(WORKER_FILE, { workerData: start, transferList: [port2] });
    this.worker.unref();
  }

  next(): EventBatch | undefined {
    while (!this.done) {
      // Every batch taken so far is checked (or was empty): its slot may be filled again.
      Atomics.store(this.counters, TAKEN, this.taken);
      Atomics.notify(this.counters, TAKEN);
      this.waitForBatch();
      const slot = this.taken++ % SLOTS;
      const m = slot * META;
      const batch = this.batches[slot];
      batch.count = this.meta[m + M_COUNT];
      this.nextLine = this.meta[m + M_NEXT_LINE];
      this.done = this.meta[m + M_DONE] === 1;
      batch.slow = [];
      if (this.meta[m + M_MESSAGE] === 1) this.receive(batch);
      batch.strings = this.strings;
      if (batch.count > 0) return batch;
    }
    return undefined;
  }

  /** Blocks (checking is synchronous) until the reader has written the batch after the last one taken. */
  private waitForBatch(): void {
    let since = Date.now();
    let seen = Atomics.load(this.counters, WRITTEN);
    while (seen <= this.taken) {
      Atomics.wait(this.counters, WRITTEN, seen, 1000);
      const now = Atomics.load(this.counters, WRITTEN);
      if (now !== seen) since = Date.now();
      // A thread that died before it could say why (this one cannot see its exit event while it waits).
      else if (Date.now() - since > STALL_MS) throw new Error('the trace reading thread stopped');
      seen = now;
    }
  }

  private receive(batch: EventBatch): void {
    // Posted before the slot was marked written, so it is there.
    const got = receiveMessageOnPort(this.port);
    if (!got) throw new Error('the trace reading thread lost a message');
    const m = got.message as SlotMessage;
    if (m.error !== undefined) throw new Error(m.error);
    batch.slow = m.slow;
    for (const s of m.strings) this.strings.push(s);
  }

  close(): void {
    Atomics.store(this.counters, STOP, 1);
    Atomics.notify(this.counters, TAKEN);
    this.port.close();
    void this.worker.terminate();
    this.cursor.close();
  }
}

function cores(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/**
 * The batches of what is left of `cursor`: from a reading thread when the rest of a file is large, a second core
 * is there and the thread's code is beside this module (`worker` forces the choice either way); else from the
 * cursor on this thread.
 */
export function batchesOf(cursor: TraceCursor, worker?: boolean): BatchSource {
  const file = cursor.path;
  const wanted = worker ?? (cursor.size - cursor.position >= WORKER_MIN_BYTES && cores() >= 2);
  if (wanted && file !== undefined && fs.existsSync(WORKER_FILE)) return new WorkerBatches(cursor, file);
  return new CursorBatches(cursor);
}
