// A capture's events one at a time, as a debugger steps through them: each event's place, time, CPU, name and
// DMA event, read through the fast path's batches, so that a common line costs no text, no record and no object on
// a debugger's first pass. The whole record of an event (its task, its flags, its text) is made only when asked
// for: a stop shows one.
import { batchesOf, type BatchSource } from './batchSource';
import { HOT_NAMES, type EventBatch } from './eventBatch';
import { R_CODE, R_CPU, R_LINE, R_OFFSET, R_OTHER, R_TIME, SLOW, STRIDE } from './recordLayout';
import { decodeEvent, type DmaEvent } from './events';
import type { TraceChecker } from './checker';
import { HotEvents, isNumeric, replayRecord, type HotEventSink } from './hotEvents';
import { parseLine } from './lineParser';
import { TraceCursor, type CursorStart } from './reader';
import type { TraceRecord } from './record';

/** When a stream decodes on reading threads, ahead of the events asked for. */
export type Ahead = 'never' | 'if-large' | 'always';

/**
 * Small batches: a debugger opens a stream at a saved state and often needs only a few events from it (a step
 * back replays up to a few dozen), and a batch is decoded whole.
 */
const BATCH = 256;

/**
 * A cursor over the events: `advance` moves to the next one, whose place, time, CPU and name are then its fields.
 * An event the fast path decoded stays numbers in its batch (valid until the next `advance`) and is handed to a
 * sink as such (`replay`, `applyTo`; a mark or an allocation, which has a text, goes as its event); its `event`
 * object and its whole `record` are made only when asked for.
 */
export class EventStream {
  line = 0;
  offset = 0;
  timestamp = 0;
  cpu = 0;
  /** The event's name as the trace prints it. */
  name = '';
  private readonly source: BatchSource;
  private batch: EventBatch | undefined;
  private readonly hot = new HotEvents();
  /** The next record of `batch` to read (an index into its records). */
  private next = 0;
  /** The current event's record when the fast path decoded it, else -1. */
  private hotAt = -1;
  private decoded: DmaEvent | undefined;
  private whole: TraceRecord | undefined;

  /** The file read, where a fast-path event's whole record is read again (none for text in memory). */
  private readonly path: string | undefined;

  /**
   * The events of what is left of `cursor` (which the stream closes). `onOther` takes the other records met on the
   * way to an event: `[LOST N EVENTS]` markers, malformed lines, headers. `ahead` says when to decode on reading threads, ahead of the events asked for: for a
   * pass over a whole large file, not for a replay of a few events.
   */
  constructor(cursor: TraceCursor, private readonly onOther: (r: TraceRecord) => void, ahead: Ahead = 'never') {
    this.path = cursor.path;
    const worker = ahead === 'if-large' ? undefined : ahead === 'always';
    this.source = batchesOf(cursor, worker, { capacity: BATCH });
  }

  /** The events of the file at `path` from `start` on, read `chunkSize` bytes at a time. */
  static open(path: string, start: CursorStart, chunkSize: number, onOther: (r: TraceRecord) => void, ahead: Ahead = 'never'): EventStream {
    return new EventStream(TraceCursor.open(path, start, chunkSize), onOther, ahead);
  }

  /** Moves to the next event; false at the end of the capture. */
  advance(): boolean {
    for (;;) {
      let b = this.batch;
      if (!b || this.next >= b.count * STRIDE) {
        b = this.batch = this.source.next();
        if (!b) return false;
        this.next = 0;
      }
      const r = b.records;
      const at = this.next;
      this.next += STRIDE;
      this.decoded = undefined;
      this.whole = undefined;
      const code = r[at + R_CODE];
      if (code !== SLOW) {
        this.hotAt = at;
        this.line = b.lineBase + r[at + R_LINE];
        this.offset = r[at + R_OFFSET];
        this.timestamp = r[at + R_TIME];
        this.cpu = r[at + R_CPU];
        this.name = HOT_NAMES[code];
        return true;
      }
      const text = b.texts[r[at + R_OTHER]];
      const record = parseLine(text, 0, text.length, b.lineBase + r[at + R_LINE], r[at + R_OFFSET]);
      if (record?.kind !== 'event') {
        if (record) this.onOther(record);
        continue;
      }
      this.hotAt = -1;
      this.whole = record;
      this.decoded = decodeEvent(record);
      this.line = record.line;
      this.offset = record.offset;
      this.timestamp = record.timestamp;
      this.cpu = record.cpu;
      this.name = record.event;
      return true;
    }
  }

  /** The current event decoded (made once, when asked). */
  get event(): DmaEvent {
    return (this.decoded ??= this.hot.at(this.batch!, this.hotAt));
  }

  /** Hands the current event to `sink` as numbers when the fast path decoded it as such (no object made); false if not. */
  replay(sink: HotEventSink): boolean {
    if (!this.numeric) return false;
    replayRecord(this.batch!, this.hotAt, sink);
    return true;
  }

  /** Applies the current event to `checker`. */
  applyTo(checker: TraceChecker): void {
    if (!this.numeric) {
      checker.applyEvent(this.event, this.line, this.offset, this.timestamp, this.cpu);
      return;
    }
    checker.moveTo(this.line, this.offset, this.timestamp, this.cpu);
    replayRecord(this.batch!, this.hotAt, checker);
  }

  /** Whether the current event is a fast-path record handed on as numbers. */
  private get numeric(): boolean {
    return this.hotAt >= 0 && isNumeric(this.batch!, this.hotAt);
  }

  /** The current event's whole record (read again from the file when the fast path decoded it). */
  record(): TraceRecord {
    if (this.whole) return this.whole;
    if (this.path === undefined) throw new Error('a stream over text in memory has no file to read an event\'s record from');
    const r = TraceCursor.recordAt(this.path, { offset: this.offset, line: this.line });
    if (!r || r.kind !== 'event') throw new Error(`line ${this.line} of ${this.path} is no longer the event read there: the file changed`);
    return (this.whole = r);
  }

  close(): void {
    this.source.close();
  }
}
