// The streaming reader: yields a capture's lines one at a time with their line number and byte offset, reading
// the file in fixed-size chunks so memory does not grow with the file, and able to start at any line's offset;
// or, for a whole-file check, fills batches of decoded events straight from the bytes (`nextBatch`).
import * as fs from 'fs';
import { whenReady } from './blockingPipes';
import type { EventBatch } from './eventBatch';
import { HotLineParser } from './hotLines';
import { CUT_LINE, MAX_LINE, parseLine } from './lineParser';
import type { TraceRecord } from './record';

const CHUNK = 2 * 1024 * 1024;
const NO_BYTES = Buffer.alloc(0);
/**
 * Fast paths of closed cursors, for the next ones: a debugger opens a cursor per seek and step back, and making a
 * parser (a WebAssembly instance and its memory) cost more than the few events it then reads.
 */
const spareParsers: HotLineParser[] = [];
const SPARE_PARSERS = 4;

/** Where to start reading: the byte offset of a line's first byte and that line's number. */
export interface CursorStart {
  offset: number;
  line: number;
  /** Where to stop: the offset of a line's first byte (by default, the end of the file). */
  end?: number;
}

interface ByteSource {
  /** The file read, if the bytes come from one (another thread can then open it too). */
  readonly path?: string;
  readonly size: number;
  read(into: Buffer, position: number): number;
  close(): void;
}

function fileSource(path: string, end = Infinity): ByteSource {
  const fd = fs.openSync(path, 'r');
  const stat = fs.fstatSync(fd);
  const close = (): void => fs.closeSync(fd);
  // A pipe (`mkfifo`, /dev/stdin fed by `trace-cmd report | ...`) reads once, in order, and another thread cannot.
  if (!stat.isFile()) return streamSource(fd, close);
  return {
    path,
    size: Math.min(stat.size, end),
    // Reads go on past the size the file had when opened (tracefs' `trace` says 0); only `end` stops them.
    read: (into, position) => (position >= end ? 0 : fs.readSync(fd, into, 0, Math.min(into.length, end - position), position)),
    close,
  };
}

/**
 * The bytes of a pipe or a terminal, read in order as they come: its size is unknown (0), and every read takes the
 * next bytes whatever the position asked for (the cursor asks for them in order).
 */
function streamSource(fd: number, close: () => void): ByteSource {
  return {
    size: 0,
    read: (into) => whenReady(() => fs.readSync(fd, into, 0, into.length, null), 10),
    close,
  };
}

const scanBuffer = Buffer.allocUnsafe(64 * 1024);

/**
 * The offset of the first line that starts at or after `at` in the open file `fd` (its size if none does): where a
 * reader that splits a file by bytes starts and stops, each line read by the one reader its first byte falls to.
 */
export function lineStartFrom(fd: number, at: number, size: number): number {
  if (at <= 0) return 0;
  if (at >= size) return size;
  // Lines are short: a small read finds the newline (a 64 KiB one per chunk of a file cost a tenth more copying); a
  // longer line takes more reads, larger each time, never a buffer of its size.
  const buf = scanBuffer;
  // The byte before `at` may be the newline that ends the line before.
  for (let from = at - 1, n = 0, want = 1024; from < size; from += n, want = Math.min(want * 4, buf.length)) {
    n = fs.readSync(fd, buf, 0, want, from);
    if (n <= 0) break;
    const nl = buf.subarray(0, n).indexOf(10);
    if (nl >= 0) return Math.min(from + nl + 1, size);
  }
  return size;
}

function bufferSource(data: Buffer): ByteSource {
  return { size: data.length, read: (into, position) => data.copy(into, 0, position), close: () => undefined };
}

/**
 * A forward cursor over a capture. Text is decoded as latin1 so that a character index is a byte offset;
 * task names with UTF-8 bytes show as such (see `displayTask`).
 */
export class TraceCursor implements Iterable<TraceRecord> {
  private buf: Buffer;
  /** Bytes of `buf` holding file data; `text` is them decoded (one flat string, fast to scan) once `next` needs it. */
  private filled = 0;
  private text = '';
  private decoded = true;
  /** The fast path of `nextBatch`, made on its first call; from then on `buf` is its window. */
  private hot: HotLineParser | undefined;
  private pos = 0;
  /** File offset of buf[0]. */
  private base: number;
  private lineNo: number;
  private eof = false;
  /** After a cut line (`cutLine`): where the file goes on the next time the buffer is filled, and what was read of it. */
  private resumeAt: number | undefined;
  private afterCut: Buffer | undefined;

  // The buffer is made at the first read: a cursor whose first call is `nextBatch` reads into its fast path's
  // window instead, and `check-trace`'s threads open a cursor per chunk of the file.
  private constructor(private readonly source: ByteSource, start: CursorStart, private readonly chunkSize: number) {
    this.buf = NO_BYTES;
    this.base = start.offset;
    this.lineNo = start.line - 1;
  }

  static open(path: string, start: CursorStart = { offset: 0, line: 1 }, chunkSize = CHUNK): TraceCursor {
    return new TraceCursor(fileSource(path, start.end), start, chunkSize);
  }

  /** Reads what comes on standard input (a pipe or a file), from its start; it is not closed. */
  static fromStdin(chunkSize = CHUNK): TraceCursor {
    return new TraceCursor(streamSource(0, () => undefined), { offset: 0, line: 1 }, chunkSize);
  }

  /** The record of the line at `start` of the file at `path` (undefined past its end). */
  static recordAt(path: string, start: CursorStart): TraceRecord | undefined {
    const cursor = TraceCursor.open(path, start, 4096);
    try {
      return cursor.next();
    } finally {
      cursor.close();
    }
  }

  static fromText(text: string, start: CursorStart = { offset: 0, line: 1 }, chunkSize = CHUNK): TraceCursor {
    return new TraceCursor(bufferSource(Buffer.from(text, 'latin1')), start, chunkSize);
  }

  /** Bytes in the whole file (0 for a pipe: not known). */
  get size(): number {
    return this.source.size;
  }

  /** The file being read; undefined for text in memory. */
  get path(): string | undefined {
    return this.source.path;
  }

  /** The offset just past the last newline between `position` and `size` (`position` when there is none). */
  lastLineEnd(): number {
    const buf = Buffer.allocUnsafe(64 * 1024);
    for (let to = this.size; to > this.position; ) {
      const at = Math.max(this.position, to - buf.length);
      const n = this.source.read(buf.subarray(0, to - at), at);
      const nl = buf.subarray(0, n).lastIndexOf(10);
      if (nl >= 0) return at + nl + 1;
      to = at;
    }
    return this.position;
  }

  /** Offset of the next line not yet yielded: a progress figure, and with `nextLine` a `CursorStart`. */
  get position(): number {
    // Right after a cut line, the file goes on past the bytes that stood for it.
    return this.resumeAt !== undefined && this.pos >= this.filled ? this.resumeAt : this.base + this.pos;
  }

  get nextLine(): number {
    return this.lineNo + 1;
  }

  next(): TraceRecord | undefined {
    for (;;) {
      if (!this.decoded) {
        this.text = this.buf.toString('latin1', 0, this.filled);
        this.decoded = true;
      }
      const nl = this.text.indexOf('\n', this.pos);
      if (nl < 0 && !this.eof) {
        this.fill();
        continue;
      }
      if (nl < 0 && this.pos >= this.text.length) return undefined;
      const lineStart = this.pos;
      let end = nl < 0 ? this.text.length : nl;
      this.pos = nl < 0 ? this.text.length : nl + 1;
      if (end > lineStart && this.text.charCodeAt(end - 1) === 13 /* \r */) end--;
      this.lineNo++;
      const r = parseLine(this.text, lineStart, end, this.lineNo, this.base + lineStart);
      if (r) return r;
    }
  }

  /**
   * Reads lines on into `batch` (cleared first) until it is full or the file ends; false when nothing was left.
   * The common DMA events, marks and allocations are decoded from the bytes; any other line is kept as its text for
   * `parseLine`.
   * Blank lines are counted and skipped, as by `next`.
   */
  nextBatch(batch: EventBatch): boolean {
    const hot = this.hot ?? this.startHotPath();
    hot.begin(batch);
    for (;;) {
      this.pos = hot.read(batch, this.pos, this.filled, this.eof, this.lineNo, this.base);
      this.lineNo = hot.lastLine;
      // The parser's memory may have grown under the last view of its window.
      this.buf = hot.window;
      if (batch.full || this.eof) break;
      this.fill();
    }
    return batch.count > 0;
  }

  [Symbol.iterator](): Iterator<TraceRecord> {
    return { next: () => {
      const value = this.next();
      return value ? { done: false, value } : { done: true, value: undefined };
    } };
  }

  close(): void {
    this.source.close();
    // Batches it filled keep what they hold (their records are copies; its strings only grow), so it can serve again.
    if (this.hot && spareParsers.length < SPARE_PARSERS) spareParsers.push(this.hot);
    this.hot = undefined;
  }

  /**
   * Moves the unread tail to the front of the buffer (growing it for a line longer than it, up to MAX_LINE: past that
   * the line is cut) and reads more; after a cut line, reading goes on where the file does.
   */
  private fill(): void {
    if (this.resumeAt !== undefined) {
      // Past a cut line: the file goes on after its newline, with what was read of it already.
      this.base = this.resumeAt;
      this.pos = 0;
      this.filled = this.afterCut?.copy(this.buf, 0) ?? 0;
      this.resumeAt = this.afterCut = undefined;
    }
    const keep = this.filled - this.pos;
    if (keep >= MAX_LINE) return this.cutLine(keep);
    const room = this.buf.length || this.chunkSize;
    const size = keep === room ? room * 2 : room;
    if (this.hot) {
      this.buf = this.hot.reserve(size, this.pos, keep);
    } else if (size > this.buf.length) {
      const bigger = Buffer.allocUnsafe(size);
      this.buf.copy(bigger, 0, this.pos, this.filled);
      this.buf = bigger;
    } else {
      this.buf.copy(this.buf, 0, this.pos, this.filled);
    }
    this.base += this.pos;
    this.pos = 0;
    const n = this.source.read(this.buf.subarray(keep), this.base + keep);
    if (n <= 0) this.eof = true;
    this.filled = keep + Math.max(n, 0);
    this.decoded = false;
  }

  /**
   * The unfinished line at `pos` is MAX_LINE long already: the rest of it is read past up to its newline and not kept,
   * and it reads as CUT_LINE (malformed) at its own line and offset; reading goes on after it.
   */
  private cutLine(keep: number): void {
    this.base += this.pos;
    let at = this.base + keep;
    for (;;) {
      const n = this.source.read(this.buf, at);
      if (n <= 0) {
        this.eof = true;
        this.resumeAt = at;
        break;
      }
      const nl = this.buf.subarray(0, n).indexOf(10);
      if (nl >= 0) {
        this.resumeAt = at + nl + 1;
        // A pipe gives these bytes once: they are kept for when the buffer is filled next.
        this.afterCut = Buffer.from(this.buf.subarray(nl + 1, n));
        break;
      }
      at += n;
    }
    this.pos = 0;
    this.filled = this.buf.write(this.eof ? CUT_LINE : CUT_LINE + '\n', 0, 'latin1');
    this.decoded = false;
  }

  /** Makes the fast path and moves the buffer into its window, with what `next` has not read yet. */
  private startHotPath(): HotLineParser {
    const hot = (this.hot = spareParsers.pop() ?? new HotLineParser());
    const keep = this.filled - this.pos;
    const window = hot.reserve(this.buf.length || this.chunkSize, 0, 0);
    this.buf.copy(window, 0, this.pos, this.filled);
    this.buf = window;
    this.base += this.pos;
    this.pos = 0;
    this.filled = keep;
    this.decoded = false;
    return hot;
  }
}

/** A task name as the kernel wrote it: the reader decodes bytes as latin1; comm names may be UTF-8. */
export function displayTask(task: string): string {
  return /[\x80-\xff]/.test(task) ? Buffer.from(task, 'latin1').toString('utf8') : task;
}
