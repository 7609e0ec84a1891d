// A capture's events one at a time, as a debugger steps through them: each event's place, time, CPU, name and
// decoded DMA event, read through the fast path's batches, so that a common line costs no text and no record. The
// whole record of an event (its task, its flags, its text) is made only when asked for: a stop shows one.
import { batchesOf, type BatchSource } from './batchSource';
import { EventBatch, HOT_NAMES, R_CODE, R_CPU, R_LINE, R_OFFSET, R_OTHER, R_TIME, SLOW, STRIDE } from './eventBatch';
import { decodeEvent, type DmaEvent } from './events';
import { HotEvents } from './hotEvents';
import { parseLine } from './lineParser';
import { TraceCursor, type CursorStart } from './reader';
import type { TraceRecord } from './record';

/** When a stream decodes on reading threads, ahead of the events asked for. */
export type Ahead = 'never' | 'if-large' | 'always';

export interface StreamedEvent {
  line: number;
  offset: number;
  timestamp: number;
  cpu: number;
  /** The event's name as the trace prints it. */
  name: string;
  event: DmaEvent;
  /** The whole record: set when the line was parsed whole on the way (the fast path left it), or by `recordOf`. */
  record?: TraceRecord;
}

/**
 * Small batches: a debugger opens a stream at a saved state and often needs only a few events from it (a step
 * back replays up to a few dozen), and a batch is decoded whole.
 */
const BATCH = 256;

export class EventStream {
  private readonly source: BatchSource;
  private batch: EventBatch | undefined;
  private readonly hot = new HotEvents();
  /** The next record of `batch` to hand out (an index into its records). */
  private at = 0;

  /**
   * `onLost` takes the `[LOST N EVENTS]` markers met on the way to an event. `ahead` says when to decode on reading
   * threads, ahead of the events asked for: for a pass over a whole large file, not for a replay of a few events.
   */
  constructor(
    private readonly path: string,
    start: CursorStart,
    chunkSize: number,
    private readonly onLost: (r: TraceRecord) => void,
    ahead: Ahead = 'never',
  ) {
    const worker = ahead === 'if-large' ? undefined : ahead === 'always';
    this.source = batchesOf(TraceCursor.open(path, start, chunkSize), worker, { capacity: BATCH });
  }

  /** The next event, or undefined at the end of the capture. */
  next(): StreamedEvent | undefined {
    for (;;) {
      let b = this.batch;
      if (!b || this.at >= b.count * STRIDE) {
        b = this.batch = this.source.next();
        if (!b) return undefined;
        this.at = 0;
      }
      const r = b.records;
      const at = this.at;
      this.at += STRIDE;
      const code = r[at + R_CODE];
      if (code !== SLOW) {
        return { line: r[at + R_LINE], offset: r[at + R_OFFSET], timestamp: r[at + R_TIME], cpu: r[at + R_CPU], name: HOT_NAMES[code], event: this.hot.at(b, at) };
      }
      const text = b.slow[r[at + R_OTHER]];
      const record = parseLine(text, 0, text.length, r[at + R_LINE], r[at + R_OFFSET]);
      if (record?.kind === 'lost') this.onLost(record);
      if (record?.kind !== 'event') continue;
      return { line: record.line, offset: record.offset, timestamp: record.timestamp, cpu: record.cpu, name: record.event, event: decodeEvent(record), record };
    }
  }

  /** The whole record of `e`, an event of this capture (read again from the file when the fast path read it). */
  recordOf(e: StreamedEvent): TraceRecord {
    if (e.record) return e.record;
    const cursor = TraceCursor.open(this.path, { offset: e.offset, line: e.line }, 4096);
    try {
      const r = cursor.next();
      if (!r || r.kind !== 'event') throw new Error(`line ${e.line} of ${this.path} is no longer the event read there: the file changed`);
      return (e.record = r);
    } finally {
      cursor.close();
    }
  }

  close(): void {
    this.source.close();
  }
}
