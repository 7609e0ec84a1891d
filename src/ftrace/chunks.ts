// A reader's share of a file that several readers decode together: chunks `first`, `first + step`, ... of its bytes
// [offset, end), each read whole before the next. A chunk starts at the first line that begins in it (so each line
// is read by the one reader its first byte falls to), and its lines are numbered from 1: a reader cannot know how
// many came before, and the checking thread renumbers them as it takes the chunks in file order.
import * as fs from 'fs';
import type { EventBatch } from './eventBatch';
import { lineStartFrom, TraceCursor } from './reader';

export interface ChunkShare {
  file: string;
  offset: number;
  end: number;
  chunkBytes: number;
  first: number;
  step: number;
}

export class ChunkReader {
  private readonly fd: number;
  private chunk: number;
  private cursor: TraceCursor | undefined;
  /** Whether the batch last filled ends its chunk, and the lines of its chunk up to its end. */
  chunkEnd = false;
  chunkLines = 0;

  /** The last boundary scanned for: no line starts in [scannedFrom, lineStart). */
  private scannedFrom = -1;
  private lineStart = -1;

  constructor(private readonly share: ChunkShare) {
    this.fd = fs.openSync(share.file, 'r');
    this.chunk = share.first;
  }

  /** Fills `batch` with the next lines of this reader's chunks (none, for an empty chunk); false after its last. */
  fill(batch: EventBatch): boolean {
    const s = this.share;
    if (!this.cursor) {
      if (s.offset + this.chunk * s.chunkBytes >= s.end) return false;
      this.cursor = TraceCursor.open(s.file, { offset: this.startOf(this.chunk), line: 1, end: this.startOf(this.chunk + 1) });
    }
    const cursor = this.cursor;
    this.chunkEnd = !(cursor.nextBatch(batch) && cursor.position < cursor.size);
    this.chunkLines = cursor.nextLine - 1;
    if (this.chunkEnd) {
      cursor.close();
      this.cursor = undefined;
      this.chunk += s.step;
    }
    return true;
  }

  close(): void {
    this.cursor?.close();
    fs.closeSync(this.fd);
  }

  private startOf(chunk: number): number {
    const s = this.share;
    if (chunk === 0) return s.offset;
    const at = s.offset + chunk * s.chunkBytes;
    // Within a line already scanned: a long line spans many chunks, and scanning it again for each cost its square.
    if (at < this.scannedFrom || at > this.lineStart) {
      this.scannedFrom = at;
      this.lineStart = lineStartFrom(this.fd, at, s.end);
    }
    return this.lineStart;
  }
}
