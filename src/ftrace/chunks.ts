// The chunks of a file that several threads decode together: its bytes [offset, end) cut every `chunkBytes`. Each
// thread claims the next chunk nobody has when it has room for one (`ChunkClaims`), so the work follows whoever is
// free: the reading threads, and the checking thread whenever it would otherwise wait. A chunk starts at the first
// line that begins in it (so each line is read by the one thread its first byte falls to), and its lines are
// numbered from 1: a reader cannot know how many came before, and the checking thread, taking the chunks in file
// order, gives each batch the lines before its chunk (`EventBatch.lineBase`).
import * as fs from 'fs';
import type { EventBatch } from './eventBatch';
import { lineStartFrom, TraceCursor } from './reader';

/** A file's bytes [offset, end), cut every `chunkBytes`. */
export interface FileChunks {
  file: string;
  offset: number;
  end: number;
  chunkBytes: number;
}

/** The owner a chunk has once claimed: reading thread `k` is k + 1; the checking thread is `CHECKER`. */
export const CHECKER = -1;
/** An owner not yet written: the claim and the store of its owner are two steps. */
const UNKNOWN = 0;
const NEXT = 0;

/** Which chunk goes to whom, in shared memory: the next chunk not claimed, and each chunk's owner. */
export class ChunkClaims {
  readonly cells: Int32Array;

  constructor(readonly count: number, memory: SharedArrayBuffer = new SharedArrayBuffer((count + 1) * 4)) {
    this.cells = new Int32Array(memory);
  }

  get memory(): SharedArrayBuffer {
    return this.cells.buffer as SharedArrayBuffer;
  }

  /** The next chunk nobody has, now `owner`'s; -1 when every chunk is taken. */
  claim(owner: number): number {
    const chunk = Atomics.add(this.cells, NEXT, 1);
    if (chunk >= this.count) return -1;
    Atomics.store(this.cells, chunk + 1, owner);
    Atomics.notify(this.cells, chunk + 1);
    return chunk;
  }

  /** Whether somebody has claimed `chunk`. */
  claimed(chunk: number): boolean {
    return Atomics.load(this.cells, NEXT) > chunk;
  }

  /**
   * The owner of a claimed `chunk`, waiting the moment between its claim and the store of its owner; 0 if it is not
   * known after `waitMs` (a thread killed in that moment).
   */
  ownerOf(chunk: number, waitMs: number): number {
    const since = Date.now();
    for (;;) {
      const owner = Atomics.load(this.cells, chunk + 1);
      if (owner !== UNKNOWN || Date.now() - since > waitMs) return owner;
      Atomics.wait(this.cells, chunk + 1, UNKNOWN, 1);
    }
  }
}

/** Decodes whole chunks of a file, one at a time, into batches. */
export class ChunkReader {
  private readonly fd: number;
  private cursor: TraceCursor | undefined;
  /** The chunk being read, and whether the batch last filled ends it, and its lines up to that batch's end. */
  chunk = -1;
  chunkEnd = false;
  chunkLines = 0;

  /** The last boundary scanned for: no line starts in [scannedFrom, lineStart). */
  private scannedFrom = -1;
  private lineStart = -1;

  constructor(private readonly chunks: FileChunks) {
    this.fd = fs.openSync(chunks.file, 'r');
  }

  /** Whether a chunk is begun and not read to its end. */
  get reading(): boolean {
    return this.cursor !== undefined;
  }

  /** Begins `chunk`; the one before must be read to its end. */
  begin(chunk: number): void {
    const s = this.chunks;
    this.chunk = chunk;
    this.cursor = TraceCursor.open(s.file, { offset: this.startOf(chunk), line: 1, end: this.startOf(chunk + 1) });
  }

  /** Fills `batch` with the next lines of the chunk begun (none, for an empty chunk). */
  fill(batch: EventBatch): void {
    const cursor = this.cursor!;
    this.chunkEnd = !(cursor.nextBatch(batch) && cursor.position < cursor.size);
    this.chunkLines = cursor.nextLine - 1;
    if (this.chunkEnd) {
      cursor.close();
      this.cursor = undefined;
    }
  }

  close(): void {
    this.cursor?.close();
    fs.closeSync(this.fd);
  }

  private startOf(chunk: number): number {
    const s = this.chunks;
    if (chunk === 0) return s.offset;
    const at = Math.min(s.offset + chunk * s.chunkBytes, s.end);
    // Within a line already scanned: a long line spans many chunks, and scanning it again for each cost its square.
    if (at < this.scannedFrom || at > this.lineStart) {
      this.scannedFrom = at;
      this.lineStart = lineStartFrom(this.fd, at, s.end);
    }
    return this.lineStart;
  }
}
