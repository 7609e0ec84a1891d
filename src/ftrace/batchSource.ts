// Where `checkTrace` gets its batches of decoded lines: from the cursor on this thread, or, for a large file on a
// machine with a second core, from worker threads that read and decode ahead while this one checks (with several,
// they take the file's chunks in turn). Batches pass through each reader's ring of slots in shared memory (handing
// a buffer over per batch cost more than the decoding it saved); only a batch's slow lines and new strings, when it
// has any, travel as a message.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'worker_threads';
import { ChunkReader, type ChunkShare } from './chunks';
import { EventBatch } from './eventBatch';
import { R_LINE, STRIDE } from './recordLayout';
import { TraceCursor } from './reader';
import { threadAlive } from './threadIds';

export interface BatchSource {
  /** The next batch, valid until the next call; undefined at the end. */
  next(): EventBatch | undefined;
  /** The number of the line after the last one read. */
  readonly nextLine: number;
  close(): void;
}

/**
 * Indexes into a ring's shared counters: batches written and taken, a stop request, the reader's start, and its
 * thread's id in the system (0 where it cannot tell), by which the checking thread sees it die.
 */
export const WRITTEN = 0;
export const TAKEN = 1;
export const STOP = 2;
export const STARTED = 3;
export const THREAD = 4;
const COUNTERS = 5;
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

/** What a reading thread is given: its share of the file's chunks, and its ring. */
export interface WorkerStart extends ChunkShare {
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
/** How long a reading thread may take to start (~30-40 ms as a rule) before the checking thread reads its share. */
const START_MS = 3000;

/** A reading thread that did not start: the system could not make it, or it died at once. */
class NotStarted extends Error {}

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

/** One share of the file's chunks, as the checking thread takes its batches in order: from a reading thread, or read here. */
interface ShareSource {
  /** The next batch (perhaps empty), valid until `release`. */
  take(): EventBatch;
  /** Whether the batch last taken ends its chunk, and the lines of its chunk up to its end. */
  readonly chunkEnd: boolean;
  readonly chunkLines: number;
  release(): void;
  close(): void;
}

/** A share of the file read on the checking thread: the stand-in for a reading thread that did not start. */
class LocalShare implements ShareSource {
  private readonly chunks: ChunkReader;
  private readonly batch = new EventBatch(CAPACITY);

  constructor(share: ChunkShare) {
    this.chunks = new ChunkReader(share);
  }

  get chunkEnd(): boolean {
    return this.chunks.chunkEnd;
  }

  get chunkLines(): number {
    return this.chunks.chunkLines;
  }

  take(): EventBatch {
    // Asked only for a chunk of its share: there is one.
    this.chunks.fill(this.batch);
    return this.batch;
  }

  release(): void {}

  close(): void {
    this.chunks.close();
  }
}

/** One reading thread and the ring of slots it fills, as the checking thread takes from it. */
class Ring implements ShareSource {
  private readonly counters = new Int32Array(new SharedArrayBuffer(COUNTERS * 4));
  private readonly meta = new Float64Array(new SharedArrayBuffer(SLOTS * META * 8));
  private readonly batches: EventBatch[] = [];
  /** The reader's strings, as its batches index them. */
  private readonly strings: string[] = [];
  private readonly port: MessagePort;
  private readonly worker: Worker;
  private readonly born = Date.now();
  private taken = 0;
  chunkEnd = false;
  chunkLines = 0;

  constructor(readonly share: ChunkShare, workerFile: string, private readonly startMs: number) {
    const slots = Array.from({ length: SLOTS }, () => new SharedArrayBuffer(CAPACITY * STRIDE * 8));
    for (const memory of slots) this.batches.push(new EventBatch(CAPACITY, memory));
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const start: WorkerStart = {
      ...share, port: port2, slots,
      counters: this.counters.buffer as SharedArrayBuffer, meta: this.meta.buffer as SharedArrayBuffer,
    };
    this.worker = new Worker(workerFile, { workerData: start, transferList: [port2] });
    // A thread that dies says so only to the event loop, which this one does not see while it waits: the wait
    // finds out (no start, or no batch), and the error must not take the process down meanwhile.
    this.worker.on('error', () => undefined);
    this.worker.unref();
  }

  /** The next batch of this reader (perhaps empty), valid until `release`; throws NotStarted for a thread that never ran. */
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
      Atomics.wait(this.counters, WRITTEN, seen, 250);
      const now = Atomics.load(this.counters, WRITTEN);
      if (now !== seen) since = Date.now();
      // A thread that died before it could say why (this one cannot see its exit event while it waits).
      else if (Atomics.load(this.counters, STARTED) === 0 && Date.now() - this.born > this.startMs) throw new NotStarted();
      // A thread seen gone wrote all it ever will: a batch written just before it went is there now.
      else if (Date.now() - since > STALL_MS || (!threadAlive(Atomics.load(this.counters, THREAD)) && Atomics.load(this.counters, WRITTEN) === now)) {
        throw new Error('the trace reading thread stopped');
      }
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
 * lines of a chunk from 1 (it cannot know how many came before); they are renumbered here as they are taken. The
 * chunks end at the last newline the file had when opened; what follows is read here after them, on past that
 * size, as a single cursor reads a file that grows.
 */
class WorkerBatches implements BatchSource {
  private readonly readers: ShareSource[];
  private readonly chunks: number;
  private chunk = 0;
  /** The reader whose batch was handed out last: its slot is free once the next one is asked for. */
  private current: ShareSource | undefined;
  /** Lines before the current chunk, and in it up to the last batch taken. */
  private linesBefore: number;
  private linesIn = 0;

  /**
   * What follows the last newline the file had when opened, read here on a cursor that reads on past that size: a
   * last line still being written then, and what was added since (the readers share whole lines only).
   */
  private tail: CursorBatches | undefined;
  private readonly tailStart: number;

  constructor(private readonly cursor: TraceCursor, private readonly file: string, threads: number, chunkBytes: number, workerFile: string, startMs: number) {
    const offset = cursor.position;
    this.tailStart = cursor.lastLineEnd();
    const left = this.tailStart - offset;
    this.linesBefore = cursor.nextLine - 1;
    // A lone reader reads all that is left as one chunk: chunks only serve to share the file.
    const bytes = threads > 1 ? chunkBytes : Math.max(left, 1);
    this.chunks = Math.ceil(left / bytes);
    const n = Math.min(threads, this.chunks);
    this.readers = Array.from({ length: n }, (_, first) => new Ring({ file, offset, end: this.tailStart, chunkBytes: bytes, first, step: n }, workerFile, startMs));
  }

  get nextLine(): number {
    return this.tail ? this.tail.nextLine : this.linesBefore + this.linesIn + 1;
  }

  next(): EventBatch | undefined {
    this.current?.release();
    while (this.chunk < this.chunks) {
      const batch = this.take(this.chunk % this.readers.length);
      const reader = this.current!;
      const before = this.linesBefore;
      if (before > 0) {
        const r = batch.records;
        for (let at = R_LINE; at < batch.count * STRIDE; at += STRIDE) r[at] += before;
      }
      this.linesIn = reader.chunkLines;
      if (reader.chunkEnd) {
        this.linesBefore += reader.chunkLines;
        this.linesIn = 0;
        this.chunk++;
      }
      if (batch.count > 0) return batch;
      reader.release();
    }
    this.current = undefined;
    // Most files end with a newline and do not grow: no cursor (nor a decoder on this thread) for nothing.
    if (!this.tail && (fs.statSync(this.file, { throwIfNoEntry: false })?.size ?? 0) <= this.tailStart) return undefined;
    this.tail ??= new CursorBatches(TraceCursor.open(this.file, { offset: this.tailStart, line: this.linesBefore + 1 }), CAPACITY);
    return this.tail.next();
  }

  /** The next batch of reader `i`: read here instead when its thread did not start (it has written nothing then). */
  private take(i: number): EventBatch {
    const reader = (this.current = this.readers[i]);
    try {
      return reader.take();
    } catch (e) {
      if (!(e instanceof NotStarted) || !(reader instanceof Ring)) throw e;
      reader.close();
      const local = (this.current = this.readers[i] = new LocalShare(reader.share));
      return local.take();
    }
  }

  close(): void {
    for (const reader of this.readers) reader.close();
    this.tail?.close();
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
  /** The reading threads' script, and how long one may take to start (tests stand in one that never does). */
  workerFile?: string;
  startMs?: number;
}

function cores(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/**
 * Reading threads for this machine: a core is left to the checking thread. (Two readers beside the checker on two
 * cores were slower than one: 1.06-1.31 s against 1.03-1.17 s for 1 GiB, six runs each.)
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
  const workerFile = options.workerFile ?? WORKER_FILE;
  if (wanted && file !== undefined && fs.existsSync(workerFile)) {
    return new WorkerBatches(cursor, file, options.threads ?? readers(), options.chunkBytes ?? CHUNK_BYTES, workerFile, options.startMs ?? START_MS);
  }
  return new CursorBatches(cursor, options.capacity);
}
