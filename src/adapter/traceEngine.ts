// The engine for kernel traces: each event of an ftrace capture is a step, applied to the offline DMA-API checker.
// The file is never held: the first pass keeps a few bytes per event (line, offset, name) and checkpoints of the
// checker's state spaced through the file; any other position is a checkpoint plus the events after it, re-read.
import type { Hazard, HazardKind } from '../machine/hazards';
import { TraceChecker, TraceCursor, decodeEvent, displayTask, type CursorStart, type TraceFinding, type TraceRecord } from '../ftrace/index';
import { globMatcher, hitsUpTo } from './breakpoints';
import type { Engine, KernelEvent, SourceFrame, StepDetail, StepRecord } from './engine';
import { StepFlag } from './engine';
import { Growable } from './growable';
import { TraceColumns } from './traceColumns';
import { parseTraceQuery, stepsMatching } from './traceBreakpoints';
import { TraceView } from './traceView';

/** Checkpoints spread over the file at most this many (their memory grows with the live state, not the file). */
const MAX_CHECKPOINTS = 200;
/** ... and at least this many events apart, so that a small trace is not cloned at every line. */
const MIN_CHECKPOINT_STEPS = 256;
/** CPUs with a thread each; a larger number (a damaged line) shares the last thread. */
const MAX_CPUS = 4096;
/** Read size when replaying from a saved state: a replay reads at most the stretch between two checkpoints. */
const REPLAY_CHUNK = 64 * 1024;
/** Restored states kept (each a copy of the checker, as a checkpoint is). */
const RECENT_STATES = 8;

interface Checkpoint {
  position: number;
  start: CursorStart;
  checker: TraceChecker;
}

function findingHazard(f: TraceFinding, kind: HazardKind): Hazard {
  return {
    kind,
    loc: { line: f.line, column: 1 },
    message: `${f.device}: ${f.message}`,
    related: f.related.map((r) => ({ loc: { line: r.line, column: 1 }, message: r.message })),
    detail: f.detail,
  };
}

const hazardEvent = (h: Hazard): KernelEvent => ({ kind: 'effect', text: `${h.kind} (${h.detail}): ${h.message}`, flags: StepFlag.hazard, hazard: h.kind });

export class TraceEngine implements Engine<number> {
  readonly columns: TraceColumns;
  readonly threadNames: string[] = [];
  readonly view: TraceView;
  readonly size: number;
  /** Reads on from the pending event; undefined once the end was read. */
  private cursor: TraceCursor | undefined;
  /** The checker's state before the step at `position`. */
  checker: TraceChecker;
  /** The event the next step applies; undefined at the end. */
  pending: TraceRecord | undefined;
  private at = 0;
  /** Bug findings of the step being applied (window information is not a hazard). */
  private raised: Hazard[] = [];
  private readonly allHazards: Hazard[] = [];
  private readonly hazardSteps = new Growable(Uint32Array);
  private readonly checkpoints: Checkpoint[] = [];
  /** States restored lately, oldest first: repeated stepBack replays from one of them, not from a checkpoint. */
  private readonly recent: Checkpoint[] = [];
  private readonly sink = (f: TraceFinding): void => {
    if (f.kind !== 'window') this.raised.push(findingHazard(f, f.kind));
  };

  constructor(readonly path: string) {
    this.columns = new TraceColumns(path);
    this.checker = new TraceChecker(this.sink);
    const cursor = TraceCursor.open(path);
    this.cursor = cursor;
    this.size = cursor.size;
    this.pending = this.fetch();
    this.view = new TraceView(this);
  }

  get statements(): TraceColumns['statements'] {
    return this.columns.statements;
  }

  get position(): number {
    return this.at;
  }

  get done(): boolean {
    return this.pending === undefined;
  }

  get endReason(): 'end' | undefined {
    return this.done ? 'end' : undefined;
  }

  /** The next event record; `[LOST N EVENTS]` markers on the way are applied (they end the checker's epoch). */
  private fetch(): TraceRecord | undefined {
    const cursor = this.cursor;
    if (!cursor) return undefined;
    for (let r = cursor.next(); r; r = cursor.next()) {
      if (r.kind === 'event') return r;
      if (r.kind === 'lost') this.checker.apply(r);
    }
    // At the end the file is closed: a session that ends there (or restarts) leaves nothing open.
    cursor.close();
    this.cursor = undefined;
    return undefined;
  }

  /** Thread i is CPU i (CPUs that logged nothing included), so the Threads view lists them in order. */
  private threadOf(cpu: number): number {
    const t = cpu >= 0 && cpu < MAX_CPUS ? cpu : MAX_CPUS;
    while (this.threadNames.length <= t) this.threadNames.push(this.threadNames.length < MAX_CPUS ? `CPU ${this.threadNames.length}` : `CPU >= ${MAX_CPUS}`);
    return t;
  }

  /** The event as a stack: the event (and its device) called by the task that logged it. */
  frames(): SourceFrame[] {
    const r = this.pending;
    if (!r) return [];
    const e = decodeEvent(r);
    const device = 'device' in e && e.device ? ` ${e.device}` : '';
    return [
      { name: `${r.event}${device}`, line: r.line, column: 1 },
      { name: `${displayTask(r.task)}-${r.pid} on CPU ${r.cpu} @ ${r.timestamp.toFixed(6)}`, line: r.line, column: 1 },
    ];
  }

  step(): { record: StepRecord; detail: StepDetail } {
    const r = this.pending;
    if (!r) throw new Error('The trace has ended');
    const step = this.at;
    const first = step === this.columns.length;
    if (first) {
      this.maybeCheckpoint(r);
      this.columns.push(r.line, r.offset, r.event);
    }
    this.raised = [];
    this.checker.apply(r);
    const hazards = this.raised;
    if (first) {
      for (const h of hazards) {
        this.allHazards.push(h);
        this.hazardSteps.push(step);
      }
    }
    const thread = this.threadOf(r.cpu);
    this.at++;
    this.pending = this.fetch();
    return {
      record: { stmt: step, thread, depth: 0, flags: hazards.length > 0 ? StepFlag.hazard : 0, owners: [] },
      detail: { events: hazards.map(hazardEvent), hazards },
    };
  }

  /** On the first pass: a checkpoint once enough events and bytes have passed since the last. */
  private maybeCheckpoint(r: TraceRecord): void {
    const last = this.checkpoints[this.checkpoints.length - 1];
    if (last && (this.at - last.position < MIN_CHECKPOINT_STEPS || r.offset - last.start.offset < this.size / MAX_CHECKPOINTS)) return;
    this.checkpoints.push(this.saved());
  }

  hazards(): Hazard[] {
    return this.allHazards;
  }

  /** Hazards raised by the steps before `position`. */
  hazardsBefore(position: number): Hazard[] {
    return position <= 0 ? [] : this.allHazards.slice(0, hitsUpTo(this.hazardSteps.view() as Uint32Array, position - 1));
  }

  buffersNamed(): number[] {
    return [];
  }

  /** A position is the whole state: replaying the same events from a checkpoint gives it back. */
  snapshot(): number {
    return this.at;
  }

  restore(position: number): void {
    if (position === this.at) return;
    const from = this.stateBefore(position);
    // Going forward from here is cheaper than from the saved state when here lies between them.
    if (this.at < position && this.at >= from.position) return this.replayTo(position);
    this.load(from);
    this.replayTo(position);
    // Keep the state restored: the next stepBack restores a position just before it, or the same segment start.
    if (this.pending && !this.recent.some((r) => r.position === position)) {
      if (this.recent.length === RECENT_STATES) this.recent.shift();
      this.recent.push(this.saved());
    }
  }

  private replayTo(position: number): void {
    while (this.at < position && this.pending) this.step();
  }

  /** The saved state nearest before `position`: a checkpoint, or a recently restored state. */
  private stateBefore(position: number): Checkpoint {
    let lo = 0;
    let hi = this.checkpoints.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.checkpoints[mid].position <= position) lo = mid;
      else hi = mid - 1;
    }
    let best = this.checkpoints[lo];
    for (const r of this.recent) if (r.position <= position && r.position > best.position) best = r;
    return best;
  }

  /** The state before the pending event, as a checkpoint (a copy: stepping on does not change it). */
  private saved(): Checkpoint {
    const r = this.pending!;
    return { position: this.at, start: { offset: r.offset, line: r.line }, checker: this.checker.clone(this.sink) };
  }

  private load(ck: Checkpoint): void {
    this.cursor?.close();
    this.cursor = TraceCursor.open(this.path, ck.start, REPLAY_CHUNK);
    this.checker = ck.checker.clone(this.sink);
    this.at = ck.position;
    this.pending = this.fetch();
  }

  /** Function breakpoints: `device:`, `dma:` and `phys:` queries, else event names and globs. */
  functionStatements(name: string): Set<number> {
    const q = parseTraceQuery(name);
    return q ? stepsMatching(this.path, q) : this.columns.stepsNamed(globMatcher(name));
  }

  /** Bytes held besides the checkpoints: the per-event columns. */
  recordBytes(): number {
    return this.columns.bytes() + this.hazardSteps.bytes;
  }

  get checkpointCount(): number {
    return this.checkpoints.length;
  }
}
