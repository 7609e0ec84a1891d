// The engine for kernel traces: each event of an ftrace capture is a step, applied to the offline DMA-API checker.
// The file is never held, nor anything per event: the first pass keeps a page index (TraceColumns), the steps with
// findings (TraceSteps) and checkpoints of the checker's state spaced through the file; any other position is a
// checkpoint plus the events after it, re-read. With `fromBoot`, what is live at the end is a leak of the last step.
import type { Hazard, HazardKind } from '../machine/hazards';
import { EventStream, TraceChecker, TraceCursor, displayTask, type Ahead, type CursorStart, type TraceFinding, type TraceRecord } from '../ftrace/index';
import { globMatcher } from './breakpoints';
import { CaptureFile } from './captureFile';
import { countAtMost, segmentAt } from '../sorted/search';
import type { Engine, KernelEvent, ProgramWords, SourceFrame, StepDetail, StepRecord } from './engine';
import { StepFlag } from './engine';
import { Growable } from './growable';
import { MAX_CPUS, PAGE_STEPS, TraceColumns, threadOfCpu } from './traceColumns';
import { QueryMatch, parseTraceQuery, type TraceQuery } from './traceBreakpoints';
import { TraceSteps } from './traceSteps';
import { SortedSteps } from './stepSet';
import { TouchIndex } from './traceTouchIndex';
import { TraceView } from './traceView';

/** Checkpoints spread over the file at most this many (their memory grows with the live state, not the file). */
const MAX_CHECKPOINTS = 200;
/** ... and at least this many events apart, so that a small trace is not cloned at every line. */
const MIN_CHECKPOINT_STEPS = 256;
/**
 * Read size, first pass and replays alike: 64 KiB reads as fast as 2 MiB, and a replay of a few events from a
 * checkpoint reads no more than it needs.
 */
const READ_CHUNK = 64 * 1024;
/** Restored states kept (each a copy of the checker, as a checkpoint is). */
const RECENT_STATES = 4;
/** States kept on the way back to a restored position (the ladder), FINE_STEPS events apart. */
const LADDER_STATES = 16;
const FINE_STEPS = 64;
/**
 * Address and device queries remembered: VS Code sends every function breakpoint again when one changes. At most
 * this many, holding at most `CACHED_QUERY_STEPS` matching steps together (4 bytes each), the one in use apart.
 */
const CACHED_QUERIES = 16;
const CACHED_QUERY_STEPS = 4_000_000;

export interface TraceOptions {
  /** The capture starts at boot: releases of unknown addresses are bugs, and what is live at the end leaks. */
  fromBoot?: boolean;
}

const TRACE_WORDS: ProgramWords = {
  program: 'trace',
  step: 'event',
  kernel: "real kernel's record",
  narrative: "what the DMA-API checks find in this event of the real kernel's trace",
};

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

/** What a step that raised nothing (almost every one) shares: nothing is ever added to these. */
const NO_HAZARDS: Hazard[] = Object.freeze([]) as unknown as Hazard[];
const NO_EVENTS: KernelEvent[] = Object.freeze([]) as unknown as KernelEvent[];
const NO_OWNERS: readonly number[] = Object.freeze([]);

const hazardEvent = (h: Hazard): KernelEvent => ({ kind: 'effect', text: `${h.kind} (${h.detail}): ${h.message}`, flags: StepFlag.hazard, hazard: h.kind });

export class TraceEngine implements Engine<number> {
  readonly columns: TraceColumns;
  readonly threadNames: string[] = [];
  readonly view: TraceView;
  /** The file as opened: every re-read checks it has not changed since. */
  readonly capture: CaptureFile;
  readonly words = TRACE_WORDS;
  /** Stands at the event the next step applies; undefined once the end was read. */
  private stream: EventStream | undefined;
  /** The checker's state before the step at `position`. */
  checker: TraceChecker;
  private at = 0;
  /** Bug findings of the step being applied (window information is not a hazard). */
  private raised: Hazard[] = NO_HAZARDS;
  /**
   * The result of a step that raised nothing, rewritten by each such step: the recording reads it at once, and
   * seven objects per event of a capture were most of the first pass's garbage.
   */
  private readonly quiet = { record: { stmt: 0, thread: 0, depth: 0, flags: 0, owners: NO_OWNERS }, detail: { events: NO_EVENTS, hazards: NO_HAZARDS } };
  private readonly allHazards: Hazard[] = [];
  private readonly hazardSteps = new Growable(Uint32Array);
  private readonly checkpoints: Checkpoint[] = [];
  /** States restored lately, oldest first: a seek back to one of them (after replaying its step) is a copy. */
  private readonly recent: Checkpoint[] = [];
  /** States FINE_STEPS apart below the position the last backward restore replayed to. */
  private ladder: Checkpoint[] = [];
  /** The target of the last restore that went backwards. */
  private lastBack: number | undefined;
  /** What each page's events touch, for address and device breakpoints. */
  private readonly touched = new TouchIndex();
  /** Steps matched by address and device queries, by query, least recently used first. */
  private readonly queries = new Map<string, SortedSteps>();
  /** Pages read for address and device queries so far (a figure for tests and the benchmark). */
  queryPages = 0;
  private readonly sink = (f: TraceFinding): void => {
    if (f.kind === 'window') return;
    if (this.raised === NO_HAZARDS) this.raised = [];
    this.raised.push(findingHazard(f, f.kind));
  };

  constructor(
    readonly path: string,
    options: TraceOptions = {},
  ) {
    this.capture = new CaptureFile(path);
    this.columns = new TraceColumns(this.capture);
    this.checker = new TraceChecker(this.sink, { fromBoot: options.fromBoot === true });
    // The first pass reads the whole file: it may be decoded ahead on reading threads.
    this.openAt({ offset: 0, line: 1 }, 'if-large');
    this.view = new TraceView(this);
  }

  get statements(): TraceColumns['statements'] {
    return this.columns.statements;
  }

  get position(): number {
    return this.at;
  }

  get done(): boolean {
    return this.stream === undefined;
  }

  /** The whole record of the event the next step applies (read only when asked: a stop shows it). */
  get pending(): TraceRecord | undefined {
    return this.stream?.record();
  }

  /** The whole record of step `step`'s event: the pending one's, or read again from the file. */
  recordOf(step: number): TraceRecord | undefined {
    if (step === this.at) return this.pending;
    if (!Number.isInteger(step) || step < 0 || step >= this.columns.length) return undefined;
    this.capture.check();
    const r = TraceCursor.recordAt(this.path, { offset: this.columns.offsetOf(step), line: this.columns.lineOf(step) });
    return r?.kind === 'event' ? r : undefined;
  }

  get endReason(): 'end' | undefined {
    return this.done ? 'end' : undefined;
  }

  close(): void {
    this.stream?.close();
    this.stream = undefined;
  }

  nothingToDebug(): string | undefined {
    // Threads are the CPUs met with the events: with no event there is no thread to stop on.
    if (this.threadNames.length > 0) return undefined;
    return 'holds no event to step through: an empty capture, or not the text of /sys/kernel/tracing/trace or of `trace-cmd report`';
  }

  /** Reads from `start` on; `[LOST N EVENTS]` markers on the way are applied (they end the checker's epoch). */
  private openAt(start: CursorStart, ahead: Ahead = 'never'): void {
    this.stream?.close();
    this.stream = EventStream.open(this.path, start, READ_CHUNK, (r) => this.checker.apply(r), ahead);
    this.fetch();
  }

  private fetch(): void {
    const stream = this.stream;
    if (stream && !stream.advance()) {
      // At the end the file is closed: a session that ends there (or restarts) leaves nothing open.
      stream.close();
      this.stream = undefined;
    }
  }

  /** Thread i is CPU i (CPUs that logged nothing included), so the Threads view lists them in order. */
  private threadOf(cpu: number): number {
    const t = threadOfCpu(cpu);
    while (this.threadNames.length <= t) this.threadNames.push(this.threadNames.length < MAX_CPUS ? `CPU ${this.threadNames.length}` : `CPU >= ${MAX_CPUS}`);
    return t;
  }

  /** The event as a stack: the event (and its device) called by the task that logged it. */
  frames(): SourceFrame[] {
    const r = this.pending;
    if (!r) return [];
    const e = this.stream!.event;
    const device = 'device' in e && e.device ? ` ${e.device}` : '';
    return [
      { name: `${r.event}${device}`, line: r.line, column: 1 },
      { name: `${displayTask(r.task)}-${r.pid} on CPU ${r.cpu} @ ${r.timestamp.toFixed(6)}`, line: r.line, column: 1 },
    ];
  }

  step(): { record: StepRecord; detail: StepDetail } {
    const r = this.stream;
    if (!r) {
      // A replay that runs out of events before the recorded end: the file lost them.
      this.capture.check();
      throw new Error('The trace has ended');
    }
    const step = this.at;
    const first = step === this.columns.length;
    const thread = this.threadOf(r.cpu);
    if (first) {
      this.maybeCheckpoint(r);
      this.columns.push(r.line, r.offset, r.name, thread);
    }
    this.raised = NO_HAZARDS;
    // For the touch index, before the event: releases and syncs look their other side up in the state before it.
    if (first) this.touched.add(step, r, this.checker);
    r.applyTo(this.checker);
    this.at++;
    this.fetch();
    // The end of the capture: live mappings are window information, or under fromBoot leaks of the last step.
    if (!this.stream) this.checker.finish();
    const hazards = this.raised;
    if (hazards.length === 0) {
      this.quiet.record.stmt = step;
      this.quiet.record.thread = thread;
      return this.quiet;
    }
    if (first) {
      for (const h of hazards) {
        this.allHazards.push(h);
        this.hazardSteps.push(step);
      }
    }
    return {
      record: { stmt: step, thread, depth: 0, flags: StepFlag.hazard, owners: NO_OWNERS },
      detail: { events: hazards.map(hazardEvent), hazards },
    };
  }

  /** On the first pass: a checkpoint once enough events and bytes have passed since the last. */
  private maybeCheckpoint(r: EventStream): void {
    const last = this.checkpoints[this.checkpoints.length - 1];
    if (last && (this.at - last.position < MIN_CHECKPOINT_STEPS || r.offset - last.start.offset < this.capture.size / MAX_CHECKPOINTS)) return;
    this.checkpoints.push(this.saved());
  }

  hazards(): Hazard[] {
    return this.allHazards;
  }

  /** Hazards raised by the steps before `position`. */
  hazardsBefore(position: number): Hazard[] {
    return position <= 0 ? [] : this.allHazards.slice(0, countAtMost(this.hazardSteps.view(), position - 1));
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
    // Walking back (a restore a little before the last backward one), the next restores ask for the positions
    // just before this one: keep states on the way there, FINE_STEPS apart, so that each replays a few events
    // rather than the stretch from the checkpoint. A jump back (a seek) keeps none: they would cost a copy each.
    const walkingBack = position < this.at && this.lastBack !== undefined && position < this.lastBack && this.lastBack - position <= LADDER_STATES * FINE_STEPS;
    if (position < this.at) this.lastBack = position;
    this.load(from);
    const ladder: Checkpoint[] | undefined = walkingBack && position - from.position > FINE_STEPS ? [] : undefined;
    const keepFrom = position - LADDER_STATES * FINE_STEPS;
    while (this.at < position && this.stream) {
      if (ladder && this.at > from.position && this.at >= keepFrom && (position - this.at) % FINE_STEPS === 0) ladder.push(this.saved());
      this.step();
    }
    if (ladder) this.ladder = ladder;
    // Keep the state restored: the next seek often asks for it again (after replaying its step).
    if (this.stream && !this.recent.some((r) => r.position === position)) {
      if (this.recent.length === RECENT_STATES) this.recent.shift();
      this.recent.push(this.saved());
    }
  }

  private replayTo(position: number): void {
    while (this.at < position && this.stream) this.step();
  }

  /** The saved state nearest before `position`: a checkpoint, a recently restored state or one of the ladder. */
  private stateBefore(position: number): Checkpoint {
    const cps = this.checkpoints;
    let best = cps[segmentAt(cps.length, (k) => cps[k].position, position)];
    for (const r of [...this.recent, ...this.ladder]) if (r.position <= position && r.position > best.position) best = r;
    return best;
  }

  /** The state before the pending event, as a checkpoint (a copy: stepping on does not change it). */
  private saved(): Checkpoint {
    const r = this.stream!;
    return { position: this.at, start: { offset: r.offset, line: r.line }, checker: this.checker.clone(this.sink) };
  }

  private load(ck: Checkpoint): void {
    this.capture.check();
    this.checker = ck.checker.clone(this.sink);
    this.at = ck.position;
    this.openAt(ck.start);
  }

  /**
   * Function breakpoints: `device:`, `dma:` and `phys:` queries, else event names and globs. A query's steps are
   * remembered for when the breakpoints are sent again.
   */
  functionStatements(name: string): ReadonlySet<number> {
    const q = parseTraceQuery(name);
    if (!q) return this.columns.stepsNamed(globMatcher(name));
    const key = JSON.stringify(q);
    const steps = this.queries.get(key) ?? this.stepsTouching(q);
    this.queries.delete(key);
    let held = steps.size;
    for (const s of this.queries.values()) held += s.size;
    // The least recently used go first, until the rest fit.
    for (const [k, s] of this.queries) {
      if (this.queries.size < CACHED_QUERIES && held <= CACHED_QUERY_STEPS) break;
      this.queries.delete(k);
      held -= s.size;
    }
    this.queries.set(key, steps);
    return steps;
  }

  /**
   * Steps whose event matches `q`, reading only the pages the touch index lets through, each from the checker's
   * state before it: the scan so far when it is nearer than the saved state before the page, else that state.
   */
  private stepsTouching(q: TraceQuery): SortedSteps {
    const out = new SortedSteps();
    const matches = new QueryMatch(q);
    this.capture.check();
    let scan: { checker: TraceChecker; stream: EventStream; at: number } | undefined;
    try {
      for (const p of this.touched.pagesFor(q)) {
        const start = p * PAGE_STEPS;
        const end = Math.min(start + PAGE_STEPS, this.columns.length);
        this.queryPages++;
        const from = this.stateBefore(start);
        if (!scan || scan.at > start || from.position > scan.at) {
          scan?.stream.close();
          const checker = from.checker.clone(() => undefined);
          scan = { checker, stream: EventStream.open(this.path, from.start, READ_CHUNK, (r) => checker.apply(r)), at: from.position };
        }
        while (scan.at < end && scan.stream.advance()) {
          // Pages come in order and a scan moves forward: the steps are added in ascending order.
          if (scan.at >= start && matches.testCurrent(scan.stream, scan.checker)) out.add(scan.at);
          scan.at++;
          scan.stream.applyTo(scan.checker);
        }
      }
    } finally {
      scan?.stream.close();
    }
    return out;
  }

  statementsOnLines(from: number, to: number): number[] {
    return this.columns.stepsOnLines(from, to);
  }

  /** The recording keeps nothing per event either: see TraceSteps. */
  stepStore(): TraceSteps {
    return new TraceSteps(this.columns);
  }

  /** Bytes held besides the checkpoints and the decoded pages: the page index and the steps with findings. */
  recordBytes(): number {
    return this.columns.bytes() + this.touched.bytes() + this.hazardSteps.bytes;
  }

  get checkpointCount(): number {
    return this.checkpoints.length;
  }
}
