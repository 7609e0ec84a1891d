// Where `checkTrace` gets its batches: from the cursor on this thread, or, for a large file, from a worker thread
// that reads and decodes ahead while this one checks. The worker hands over each batch's records without copying
// them and stays at most a few batches ahead, so memory does not grow with the file.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'worker_threads';
import { EventBatch } from './eventBatch';
import type { TraceCursor } from './reader';

export interface BatchSource {
  /** The next batch, valid until the next call; undefined at the end. */
  next(): EventBatch | undefined;
  /** The number of the line after the last one read. */
  readonly nextLine: number;
  close(): void;
}

/** What the worker sends per batch (`records` transferred). */
export interface BatchMessage {
  records?: Float64Array<ArrayBuffer>;
  count: number;
  slow: string[];
  /** Strings added to the worker's table since the previous batch. */
  strings: string[];
  nextLine: number;
  done: boolean;
  error?: string;
}

/** The worker's start: which file, from where, and the shared counters of batches sent and taken. */
export interface WorkerStart {
  file: string;
  offset: number;
  line: number;
  counters: SharedArrayBuffer;
  port: MessagePort;
}

export const SENT = 0;
export const TAKEN = 1;
/** Set when the checker stops early: the worker stops too instead of waiting for it. */
export const STOP = 2;
/** How many batches the worker may be ahead of the checker. */
export const AHEAD = 4;
/** Below this many bytes the worker's start-up costs more than it saves. */
const WORKER_MIN_BYTES = 16 * 1024 * 1024;
const WORKER_FILE = path.join(__dirname, 'parseWorker.js');
/** How long the checker waits for a batch before it takes the worker for dead: reading 2 MiB never takes that long. */
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
  private readonly counters = new Int32Array(new SharedArrayBuffer(12));
  private readonly port: MessagePort;
  private readonly worker: Worker;
  private readonly strings: string[] = [];
  private received = 0;
  private done = false;
  nextLine: number;

  constructor(private readonly cursor: TraceCursor, file: string) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.nextLine = cursor.nextLine;
    const start: WorkerStart = { file, offset: cursor.position, line: cursor.nextLine, counters: this.counters.buffer as SharedArrayBuffer, port: port2 };
    this.worker = new Worker(WORKER_FILE, { workerData: start, transferList: [port2] });
    this.worker.unref();
  }

  next(): EventBatch | undefined {
    if (this.done) return undefined;
    // The batch handed out last is checked: the worker may fill another.
    Atomics.store(this.counters, TAKEN, this.received);
    Atomics.notify(this.counters, TAKEN);
    const m = this.receive();
    this.received++;
    if (m.error !== undefined) throw new Error(m.error);
    for (const s of m.strings) this.strings.push(s);
    this.nextLine = m.nextLine;
    this.done = m.done;
    if (!m.records || m.count === 0) return undefined;
    const batch = new EventBatch(m.count, m.records);
    batch.count = m.count;
    batch.slow = m.slow;
    batch.strings = this.strings;
    return batch;
  }

  /** Waits (blocking: checking is synchronous) for the worker's next message. */
  private receive(): BatchMessage {
    const since = Date.now();
    for (;;) {
      const got = receiveMessageOnPort(this.port);
      if (got) return got.message as BatchMessage;
      // A thread that died before it could say why (this one cannot see its exit event while it waits).
      if (Date.now() - since > STALL_MS) throw new Error('the reading thread stopped sending');
      // Woken when the worker has sent more; the timeout only guards a message posted just before the count moved.
      Atomics.wait(this.counters, SENT, this.received, 50);
    }
  }

  close(): void {
    Atomics.store(this.counters, STOP, 1);
    // A new value too, so that a worker just about to wait for the old one does not.
    Atomics.store(this.counters, TAKEN, 2 ** 30);
    Atomics.notify(this.counters, TAKEN);
    this.port.close();
    void this.worker.terminate();
    this.cursor.close();
  }
}

/** Whether a second thread would get a core of its own: on a busy machine it only competes with the first. */
function idleCore(): boolean {
  return os.loadavg()[0] < os.cpus().length - 1;
}

/**
 * The batches of what is left of `cursor`'s file: from a worker when `worker` is true, or undefined and the rest is
 * large and a core is idle, and the cursor reads a file; else from the cursor itself.
 */
export function batchesOf(cursor: TraceCursor, worker?: boolean): BatchSource {
  const file = cursor.path;
  const large = cursor.size - cursor.position >= WORKER_MIN_BYTES;
  if ((worker ?? (large && idleCore())) && file !== undefined && fs.existsSync(WORKER_FILE)) return new WorkerBatches(cursor, file);
  return new CursorBatches(cursor);
}
