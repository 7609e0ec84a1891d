// Where `checkTrace` gets its batches of decoded lines: from the cursor on this thread, or, for a large file on a
// machine with a second core, from worker threads that read and decode ahead while this one checks, all of them
// claiming the file's chunks as they have room (this one too, while it would otherwise wait). Batches pass through
// each reader's ring of slots in shared memory (handing a buffer over per batch cost more than the decoding it
// saved); only a batch's texts (its slow lines, marks, ...) and new strings, when it has any, travel as a message.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'worker_threads';
import { CHECKER, ChunkClaims, ChunkReader, type FileChunks } from './chunks';
import { EventBatch } from './eventBatch';
import { decoderModule } from './hotLines';
import { STRIDE } from './recordLayout';
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
 * Indexes into a ring's shared counters: batches written and taken, a stop request, and its reader's thread's id in
 * the system (0 where it cannot tell), by which the checking thread sees it die.
 */
export const WRITTEN = 0;
export const TAKEN = 1;
export const STOP = 2;
export const THREAD = 3;
const COUNTERS = 4;
/**
 * Per slot, in the ring's shared meta numbers: records in it, whether a message goes with it, its chunk, whether it
 * is the last of its chunk, and the lines of its chunk read so far.
 */
export const M_COUNT = 0;
export const M_MESSAGE = 1;
export const M_CHUNK = 2;
export const M_CHUNK_END = 3;
export const M_LINES = 4;
export const META = 5;
/** Slots in a ring: how far its reader may run ahead. */
export const SLOTS = 4;
/** Records per slot. */
export const CAPACITY = 8192;
/** Bytes per chunk: the unit of work the threads claim (about a slot's worth of lines). */
export const CHUNK_BYTES = 1024 * 1024;

/** What a reading thread is given: the file's chunks and their claims, its owner number for them, and its ring. */
export interface WorkerStart extends FileChunks {
  claims: SharedArrayBuffer;
  chunks: number;
  owner: number;
  /** The compiled decoder (a WebAssembly.Module). */
  decoder: object;
  counters: SharedArrayBuffer;
  meta: SharedArrayBuffer;
  slots: SharedArrayBuffer[];
  port: MessagePort;
}

/** What goes with a slot whose `M_MESSAGE` is set. */
export interface SlotMessage {
  /** The batch's texts (`EventBatch.texts`). */
  texts: string[];
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
/** Batches the checking thread decodes ahead of its checking while a reading thread's next batch is not written. */
const LOCAL_AHEAD = 2;

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

/** The checking thread's own chunks: claimed when it would otherwise wait, or when nobody had the next one. */
class LocalChunks {
  /** Opened at the first claim: a file that cannot be opened is an error of reading, not of making the source. */
  private opened: ChunkReader | undefined;
  /** Batches decoded ahead, in order, with where each leaves its chunk; and spares to fill. */
  private readonly ahead: { batch: EventBatch; chunk: number; chunkEnd: boolean; chunkLines: number }[] = [];
  private readonly spare: EventBatch[] = [];
  private handedOut: EventBatch | undefined;
  chunkEnd = false;
  chunkLines = 0;

  constructor(private readonly chunks: FileChunks, private readonly claims: ChunkClaims) {}

  private get reader(): ChunkReader {
    return (this.opened ??= new ChunkReader(this.chunks));
  }

  /** Claims and begins the next chunk nobody has, unless one of this thread's is still being read. */
  claim(): void {
    // Chunks are claimed in order and taken in order: one is read whole before the next is claimed.
    if (this.reader.reading) return;
    const chunk = this.claims.claim(CHECKER);
    if (chunk >= 0) this.reader.begin(chunk);
  }

  /**
   * Decodes a batch ahead while the checking thread would wait: of the chunk begun, else of a chunk claimed now;
   * false when enough is held or nothing is left.
   */
  work(): boolean {
    if (this.ahead.length >= LOCAL_AHEAD) return false;
    if (!this.reader.reading) {
      this.claim();
      if (!this.reader.reading) return false;
    }
    const batch = this.fill();
    this.ahead.push({ batch, chunk: this.reader.chunk, chunkEnd: this.reader.chunkEnd, chunkLines: this.reader.chunkLines });
    return true;
  }

  /** The next batch of `chunk`, this thread's: decoded ahead, or now. */
  take(chunk: number): EventBatch {
    const held = this.ahead.shift();
    if (held) {
      if (held.chunk !== chunk) throw new Error(`internal error: chunk ${held.chunk} was decoded where chunk ${chunk} was due`);
      ({ chunkEnd: this.chunkEnd, chunkLines: this.chunkLines } = held);
      return (this.handedOut = held.batch);
    }
    if (this.reader.chunk !== chunk || !this.reader.reading) throw new Error(`internal error: chunk ${chunk} is not this thread's`);
    const batch = (this.handedOut = this.fill());
    ({ chunkEnd: this.chunkEnd, chunkLines: this.chunkLines } = this.reader);
    return batch;
  }

  release(): void {
    if (this.handedOut) this.spare.push(this.handedOut);
    this.handedOut = undefined;
  }

  private fill(): EventBatch {
    const batch = this.spare.pop() ?? new EventBatch(CAPACITY);
    this.reader.fill(batch);
    return batch;
  }

  close(): void {
    this.opened?.close();
  }
}

/** One reading thread and the ring of slots it fills, as the checking thread takes from it. */
class Ring {
  private readonly counters = new Int32Array(new SharedArrayBuffer(COUNTERS * 4));
  private readonly meta = new Float64Array(new SharedArrayBuffer(SLOTS * META * 8));
  private readonly batches: EventBatch[] = [];
  /** The reader's strings, as its batches index them. */
  private readonly strings: string[] = [];
  private readonly port: MessagePort;
  private readonly worker: Worker;
  private taken = 0;
  chunkEnd = false;
  chunkLines = 0;

  constructor(chunks: FileChunks, claims: ChunkClaims, owner: number, workerFile: string) {
    const slots = Array.from({ length: SLOTS }, () => new SharedArrayBuffer(CAPACITY * STRIDE * 8));
    for (const memory of slots) this.batches.push(new EventBatch(CAPACITY, memory));
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const start: WorkerStart = {
      ...chunks, port: port2, slots, owner, claims: claims.memory, chunks: claims.count, decoder: decoderModule(),
      counters: this.counters.buffer as SharedArrayBuffer, meta: this.meta.buffer as SharedArrayBuffer,
    };
    this.worker = new Worker(workerFile, { workerData: start, transferList: [port2] });
    // A thread that dies says so only to the event loop, which this one does not see while it waits: the wait
    // finds out (no batch), and the error must not take the process down meanwhile.
    this.worker.on('error', () => undefined);
    this.worker.unref();
  }

  /** Whether the batch after the last one taken is written. */
  get ready(): boolean {
    return Atomics.load(this.counters, WRITTEN) > this.taken;
  }

  /** The next batch of this reader (perhaps empty), of `chunk`, valid until `release`. */
  take(chunk: number): EventBatch {
    this.waitForBatch();
    const slot = this.taken++ % SLOTS;
    const m = slot * META;
    const batch = this.batches[slot];
    batch.count = this.meta[m + M_COUNT];
    this.chunkEnd = this.meta[m + M_CHUNK_END] === 1;
    this.chunkLines = this.meta[m + M_LINES];
    batch.texts = [];
    if (this.meta[m + M_MESSAGE] === 1) this.receive(batch);
    if (this.meta[m + M_CHUNK] !== chunk) throw new Error(`internal error: the trace reading thread wrote chunk ${this.meta[m + M_CHUNK]} where chunk ${chunk} was due`);
    batch.strings = this.strings;
    return batch;
  }

  /** Every batch taken so far is checked: its slot may be filled again. */
  release(): void {
    Atomics.store(this.counters, TAKEN, this.taken);
    Atomics.notify(this.counters, TAKEN);
  }

  /**
   * Blocks (checking is synchronous) until the reader has written the batch after the last one taken. It has
   * claimed the chunk of that batch, so it started.
   */
  private waitForBatch(): void {
    let since = Date.now();
    let seen = Atomics.load(this.counters, WRITTEN);
    while (seen <= this.taken) {
      Atomics.wait(this.counters, WRITTEN, seen, 250);
      const now = Atomics.load(this.counters, WRITTEN);
      if (now !== seen) since = Date.now();
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
    batch.texts = m.texts;
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
 * Batches from reading threads that claim the file's chunks as they have room, read here in file order; this thread
 * claims and decodes chunks too whenever the next batch due is not written yet, so on two cores the decoding is
 * shared by whichever thread is free. A reader numbers the lines of a chunk from 1 (it cannot know how many came
 * before); each batch handed out carries the lines before its chunk (`lineBase`). The chunks end at the last newline
 * the file had when opened; what follows is read here after them, on past that size, as a single cursor reads a file
 * that grows.
 */
class WorkerBatches implements BatchSource {
  private readonly claims: ChunkClaims;
  private readonly rings: Ring[];
  private readonly local: LocalChunks;
  private chunk = 0;
  /** Where the batch handed out last came from: its slot is free once the next one is asked for. */
  private current: Ring | LocalChunks | undefined;
  /** Lines before the current chunk, and in it up to the last batch taken. */
  private linesBefore: number;
  private linesIn = 0;

  /**
   * What follows the last newline the file had when opened, read here on a cursor that reads on past that size: a
   * last line still being written then, and what was added since (the readers share whole lines only).
   */
  private tail: CursorBatches | undefined;
  private readonly tailStart: number;

  constructor(private readonly cursor: TraceCursor, private readonly file: string, threads: number, chunkBytes: number, workerFile: string) {
    const offset = cursor.position;
    this.tailStart = cursor.lastLineEnd();
    this.linesBefore = cursor.nextLine - 1;
    const chunks: FileChunks = { file, offset, end: this.tailStart, chunkBytes };
    this.claims = new ChunkClaims(Math.ceil((this.tailStart - offset) / chunkBytes));
    this.local = new LocalChunks(chunks, this.claims);
    const n = Math.min(threads, this.claims.count);
    this.rings = Array.from({ length: n }, (_, k) => new Ring(chunks, this.claims, k + 1, workerFile));
  }

  get nextLine(): number {
    return this.tail ? this.tail.nextLine : this.linesBefore + this.linesIn + 1;
  }

  next(): EventBatch | undefined {
    this.current?.release();
    while (this.chunk < this.claims.count) {
      const batch = this.take(this.chunk);
      const from = this.current!;
      batch.lineBase = this.linesBefore;
      this.linesIn = from.chunkLines;
      if (from.chunkEnd) {
        this.linesBefore += from.chunkLines;
        this.linesIn = 0;
        this.chunk++;
      }
      if (batch.count > 0) return batch;
      from.release();
    }
    this.current = undefined;
    // Most files end with a newline and do not grow: no cursor (nor a decoder on this thread) for nothing.
    if (!this.tail && (fs.statSync(this.file, { throwIfNoEntry: false })?.size ?? 0) <= this.tailStart) return undefined;
    this.tail ??= new CursorBatches(TraceCursor.open(this.file, { offset: this.tailStart, line: this.linesBefore + 1 }), CAPACITY);
    return this.tail.next();
  }

  /**
   * The next batch of `chunk`: from the reading thread that has it, decoding chunks here meanwhile while that
   * thread has not written it; or read here, this thread's own or nobody's yet (a reading thread that never
   * started claims nothing, so what it would have read falls to this one).
   */
  private take(chunk: number): EventBatch {
    if (!this.claims.claimed(chunk)) this.local.claim();
    const owner = this.claims.ownerOf(chunk, STALL_MS);
    if (owner === 0) throw new Error('the trace reading thread stopped');
    if (owner === CHECKER) return (this.current = this.local).take(chunk);
    const ring = (this.current = this.rings[owner - 1]);
    while (!ring.ready && this.local.work());
    return ring.take(chunk);
  }

  close(): void {
    for (const ring of this.rings) ring.close();
    this.local.close();
    this.tail?.close();
    this.cursor.close();
  }
}

export interface BatchOptions {
  /** Reading threads (by default one per core but the checking thread's, at most three). */
  threads?: number;
  /** Bytes per chunk, the unit of work the threads claim. */
  chunkBytes?: number;
  /** Records per batch when read on this thread. */
  capacity?: number;
  /** The reading threads' script (tests stand in one that never starts, or dies). */
  workerFile?: string;
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
    return new WorkerBatches(cursor, file, options.threads ?? readers(), options.chunkBytes ?? CHUNK_BYTES, workerFile);
  }
  return new CursorBatches(cursor, options.capacity);
}
