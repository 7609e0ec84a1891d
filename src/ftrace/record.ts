// One line of an ftrace text capture as the reader yields it: where it is in the file and what it holds.
// The line's text, task and flags are cut from the read buffer only when asked for: most lines never need them.

/** What kind of line it is. Blank lines are skipped by the reader and never yielded. */
export type RecordKind = 'event' | 'comment' | 'header' | 'lost' | 'malformed';

/** Where the context columns lie in the line (indexes into the read buffer's text). */
export interface ContextColumns {
  taskAt: number;
  taskEnd: number;
  pid: number;
  tgid: number;
  cpu: number;
  flagsAt: number;
  flagsEnd: number;
  timestamp: number;
}

/** The columns of a line that has none (a marker, a comment). */
export const NO_CONTEXT: ContextColumns = { taskAt: 0, taskEnd: 0, pid: -1, tgid: -1, cpu: -1, flagsAt: 0, flagsEnd: 0, timestamp: 0 };

export class TraceRecord {
  // Fields are assigned in the constructor only (no initializers): one hidden class, cheap to create per line.
  /** `event`: the task's pid; -1 otherwise. */
  declare readonly pid: number;
  /** The optional `(TGID)` column; -1 when absent or printed as `(-------)`. */
  declare readonly tgid: number;
  /** `event`, `lost`: the CPU; -1 otherwise. */
  declare readonly cpu: number;
  /** Seconds, as printed. */
  declare readonly timestamp: number;
  /** `lost`: how many events the ring buffer dropped on `cpu`. */
  declare readonly lost: number;
  declare private readonly taskAt: number;
  declare private readonly taskEnd: number;
  declare private readonly flagsAt: number;
  declare private readonly flagsEnd: number;
  declare readonly kind: RecordKind;
  /** 1-based line number in the file. */
  declare readonly line: number;
  /** Byte offset of the line's first byte in the file (a debugger seeks back to it). */
  declare readonly offset: number;
  /** `event`: the event name (`dma_map_phys`, `map`, `tracing_mark_write`); '' otherwise. */
  declare readonly event: string;
  /** The read buffer's text holding the line, the line's start and end in it, and where the event's text starts. */
  declare readonly src: string;
  declare readonly start: number;
  declare readonly end: number;
  /** -1 when `body` is a note (comment text, why a line is malformed) rather than the event's text. */
  declare readonly bodyStart: number;
  declare private readonly note: string;

  /** `note` is the body of a line that is not an event; an event's body is src[bodyStart, end). */
  constructor(kind: RecordKind, line: number, offset: number, event: string, note: string, src: string, start: number, end: number, bodyStart = -1, c: ContextColumns = NO_CONTEXT, lost = 0) {
    this.kind = kind;
    this.line = line;
    this.offset = offset;
    this.event = event;
    this.note = note;
    this.src = src;
    this.start = start;
    this.end = end;
    this.bodyStart = bodyStart;
    this.pid = c.pid;
    this.tgid = c.tgid;
    this.cpu = c.cpu;
    this.timestamp = c.timestamp;
    this.taskAt = c.taskAt;
    this.taskEnd = c.taskEnd;
    this.flagsAt = c.flagsAt;
    this.flagsEnd = c.flagsEnd;
    this.lost = lost;
  }

  /** `event`: what follows `EVENT: `; `comment`/`header`: the text; `malformed`: why it could not be read. */
  get body(): string {
    return this.bodyStart < 0 ? this.note : this.src.slice(this.bodyStart, this.end);
  }

  /** The line as read, without its line terminator. */
  get text(): string {
    return this.src.slice(this.start, this.end);
  }

  /** `event`: the task's name (comm) as the trace prints it (bytes as latin1; see `displayTask`). */
  get task(): string {
    return this.src.slice(this.taskAt, this.taskEnd);
  }

  /** The irqs-off/need-resched/... column, '' when the trace has none. */
  get flags(): string {
    return this.src.slice(this.flagsAt, this.flagsEnd);
  }
}
