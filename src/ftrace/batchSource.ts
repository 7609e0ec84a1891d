// Where `checkTrace` gets its batches of decoded lines: from the cursor on this thread, or, for a large file on a
// machine with a second core, from worker threads that read and decode ahead while this one checks (with several,
// they take the file's chunks in turn). Batches pass through each reader's ring of slots in shared memory (handing
// a buffer over per batch cost more than the decoding it saved); only a batch's slow lines and new strings, when it
// has any, travel as a message.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'worker_threads';
import { EventBatch, R_LINE, STRIDE } from './eventBatch';
import type { TraceCursor } from './reader';

export interface BatchSource {
  /** The next batch, valid until the next call; undefined at the end. */
  next(): EventBatch | undefined;
  /** The number of the line after the last one read. */
  readonly nextLine: number;
  close(): void;
}

/** Indexes into a ring's shared counters: batches written and taken, and a stop request. */
export const WRITTEN = 0;
export const TAKEN = 1;
export const STOP = 2;
/**
 * Per slot, in the ring's shared meta numbers: records in it, whether a message goes with it, whether it is the
 * last of its chunk, and the lines of its chunk read so far.
 */
export const M_COUNT = 0;
export const M_MESSAGE = 1;
export const M_CHUNK_END = 2;
export const M_LINES = 3;
export const META = 4;
/** Slots in a ring: how far its reader may run ahead. */
export const SLOTS = 4;
/** Records per slot. */
export const CAPACITY = 8192;
/** Bytes per chunk: the readers take the chunks of a file in turn (about a slot's worth of lines). */
export const CHUNK_BYTES = 1024 * 1024;

/** What a reading thread is given: it reads chunks `first`, `first + step`, ... of the file's bytes [offset, end). */
export interface WorkerStart {
  file: string;
  offset: number;
  end: number;
  chunkBytes: number;
  first: number;
  step: number;
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

/** Past a few readers, the checking thread is the bottleneck: decoding is 55% of the work. */
const MAX_READERS = 3;
/** Below this many bytes left, starting threads costs more than it saves. */
const WORKER_MIN_BYTES = 16 * 1024 * 1024;
const WORKER_FILE = path.join(__dirname, 'parseWorker.js');
/** How long the checker waits for a batch before it takes the reading thread for dead. */
const STALL_MS = 60_000;

class CursorBatches implements BatchSource {
  private readonly batch: EventBatch;
  constructor(private readonly cursor: TraceCursor, capacity?: number) {
    this.batch = new EventBatch(capacity);
  }

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

/** One reading thread and the ring of slots it fills, as the checking thread takes from it. */
class Ring {
  private readonly counters = new Int32Array(new SharedArrayBuffer(3 * 4));
  private readonly meta = new Float64Array(new SharedArrayBuffer(SLOTS * META * 8));
  private readonly batches: EventBatch[] = [];
  /** The reader's strings, as its batches index them. */
  private readonly strings: string[] = [];
  private readonly port: MessagePort;
  private readonly worker: Worker;
  private taken = 0;
  /** Whether the batch last taken ends its chunk, and the lines of its chunk up to its end. */
  chunkEnd = false;
  chunkLines = 0;

  constructor(share: Omit<WorkerStart, 'counters' | 'meta' | 'slots' | 'port'>) {
    const slots = Array.from({ length: SLOTS }, () => new SharedArrayBuffer(CAPACITY * STRIDE * 8));
    for (const memory of slots) this.batches.push(new EventBatch(CAPACITY, memory));
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const start: WorkerStart = {
      ...share, port: port2, slots,
      counters: this.counters.buffer as SharedArrayBuffer, meta: this.meta.buffer as SharedArrayBuffer,
    };
    this.worker = new Worker(WORKER_FILE, { workerData: start, transferList: [port2] });
    this.worker.unref();
  }

  /** The next batch of this reader (perhaps empty), valid until `release`. */
  take(): EventBatch {
    this.waitForBatch();
    const slot = this.taken++ % SLOTS;
    const m = slot * META;
    const batch = this.batches[slot];
    batch.count = this.meta[m + M_COUNT];
    this.chunkEnd = this.meta[m + M_CHUNK_END] === 1;
    this.chunkLines = this.meta[m + M_LINES];
    batch.slow = [];
    if (this.meta[m + M_MESSAGE] === 1) this.receive(batch);
    batch.strings = this.strings;
    return batch;
  }

  /** Every batch taken so far is checked: its slot may be filled again. */
  release(): void {
    Atomics.store(this.counters, TAKEN, this.taken);
    Atomics.notify(this.counters, TAKEN);
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
  }
}

/**
 * Batches from reading threads that take the file's chunks in turn, read here in file order. A reader numbers the
 * lines of a chunk from 1 (it cannot know how many came before); they are renumbered here as they are taken.
 */
class WorkerBatches implements BatchSource {
  private readonly rings: Ring[];
  private readonly chunks: number;
  private chunk = 0;
  /** The ring whose batch was handed out last: its slot is free once the next one is asked for. */
  private current: Ring | undefined;
  /** Lines before the current chunk, and in it up to the last batch taken. */
  private linesBefore: number;
  private linesIn = 0;

  constructor(private readonly cursor: TraceCursor, file: string, threads: number, chunkBytes: number) {
    const offset = cursor.position;
    const left = cursor.size - offset;
    this.linesBefore = cursor.nextLine - 1;
    // A lone reader reads all that is left as one chunk: chunks only serve to share the file.
    const bytes = threads > 1 ? chunkBytes : Math.max(left, 1);
    this.chunks = Math.ceil(left / bytes);
    const n = Math.min(threads, this.chunks);
    this.rings = Array.from({ length: n }, (_, first) => new Ring({ file, offset, end: cursor.size, chunkBytes: bytes, first, step: n }));
  }

  get nextLine(): number {
    return this.linesBefore + this.linesIn + 1;
  }

  next(): EventBatch | undefined {
    this.current?.release();
    while (this.chunk < this.chunks) {
      const ring = (this.current = this.rings[this.chunk % this.rings.length]);
      const batch = ring.take();
      const before = this.linesBefore;
      if (before > 0) {
        const r = batch.records;
        for (let at = R_LINE; at < batch.count * STRIDE; at += STRIDE) r[at] += before;
      }
      this.linesIn = ring.chunkLines;
      if (ring.chunkEnd) {
        this.linesBefore += ring.chunkLines;
        this.linesIn = 0;
        this.chunk++;
      }
      if (batch.count > 0) return batch;
      ring.release();
    }
    return undefined;
  }

  close(): void {
    for (const ring of this.rings) ring.close();
    this.cursor.close();
  }
}

export interface BatchOptions {
  /** Reading threads (by default one per core but the checking thread's, at most three). */
  threads?: number;
  /** Bytes per chunk the readers take in turn. */
  chunkBytes?: number;
  /** Records per batch when read on this thread. */
  capacity?: number;
}

function cores(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/**
 * Reading threads for this machine: a core is left to the checking thread. (Two readers beside the checker on two
 * cores were slower than one: 1.12-1.19 s against 1.03-1.10 s for 1 GiB.)
 */
function readers(): number {
  return Math.max(1, Math.min(cores() - 1, MAX_READERS));
}

/**
 * The batches of what is left of `cursor`: from a reading thread when the rest of a file is large, a second core
 * is there and the thread's code is beside this module (`worker` forces the choice either way); else from the
 * cursor on this thread.
 */
export function batchesOf(cursor: TraceCursor, worker?: boolean, options: BatchOptions = {}): BatchSource {
  const file = cursor.path;
  const wanted = worker ?? (cursor.size - cursor.position >= WORKER_MIN_BYTES && cores() >= 2);
  if (wanted && file !== undefined && fs.existsSync(WORKER_FILE)) {
    return new WorkerBatches(cursor, file, options.threads ?? readers(), options.chunkBytes ?? CHUNK_BYTES);
  }
  return new CursorBatches(cursor, options.capacity);
}
