// One line of an ftrace text capture as the reader yields it: where it is in the file and what it holds.
// The line's text, task and flags are cut from the read buffer only when asked for: most lines never need them.

/** What kind of line it is. Blank lines are skipped by the reader and never yielded. */
export type RecordKind = 'event' | 'comment' | 'header' | 'lost' | 'malformed';

export class TraceRecord {
  /** `event`: the task's pid; -1 otherwise. */
  pid = -1;
  /** The optional `(TGID)` column; -1 when absent or printed as `(-------)`. */
  tgid = -1;
  cpu = -1;
  /** Seconds, as printed. */
  timestamp = 0;
  /** `event`: the event name (`dma_map_phys`, `map`, `tracing_mark_write`); '' otherwise. */
  event = '';
  /** `lost`: how many events the ring buffer dropped on `cpu`. */
  lost = 0;
  /** [start, end) of the task name and of the flags column in `src`. */
  taskAt = 0;
  taskEnd = 0;
  flagsAt = 0;
  flagsEnd = 0;

  constructor(
    readonly kind: RecordKind,
    /** 1-based line number in the file. */
    readonly line: number,
    /** Byte offset of the line's first byte in the file (a debugger seeks back to it). */
    readonly offset: number,
    /** `event`: what follows `EVENT: `; `comment`/`header`: the text; `malformed`: why it could not be read. */
    public body: string,
    private readonly src: string,
    private readonly start: number,
    private readonly end: number,
  ) {}

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
