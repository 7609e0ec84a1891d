// What the debug session needs from a run, whatever produces it (a scenario on the machine today, a kernel trace
// later): statements, threads, frames, deterministic steps with snapshots, and state to inspect.
import type { Hazard, HazardKind } from '../machine/hazards';
import { SCENARIO_STEP, type StopReason } from '../runtime/stop';
import { quoted } from '../text/shorten';
import type { StepStore } from './stepStore';

/** A statement of the source, numbered by the engine; ids index `Engine.statements`. */
export interface StatementInfo {
  line: number;
  column: number;
  /** Exclusive end column on the same line. */
  endColumn: number;
  /** What function breakpoints match: the API or proc name as written (`dma_buf_map_attachment`, `cpu.read`, `isp.write`). */
  name: string;
  /** The statement as written, for goto targets and kernel sources. */
  text: string;
}

/** A frame of the scenario's own call stack (main, a proc, a repeat iteration), innermost first. */
export interface SourceFrame {
  name: string;
  line: number;
  column: number;
}

/** What a step did inside the modeled kernel, in order: nested calls and the effects between them. */
export type KernelEvent =
  | { kind: 'call'; fn: string; text: string }
  | { kind: 'return' }
  | { kind: 'effect'; text: string; flags: number; buffer?: number; hazard?: HazardKind };

/** Cheap facts about a step that breakpoints are matched against without re-executing it. */
export const StepFlag = {
  /** Some byte's owner changed (the owner function breakpoint, owner data breakpoints). */
  owner: 1,
  /** A cache line was allocated, changed state or was dropped. */
  cache: 2,
  /** Memory or a buffer's bytes as the CPU sees them may have changed. */
  bytes: 4,
  /** The step raised a hazard. */
  hazard: 8,
} as const;

/** The compact record of one step: what the recording keeps. */
export interface StepRecord {
  stmt: number;
  thread: number;
  /** Call depth for step over and out: procs count, repeat iterations do not. */
  depth: number;
  flags: number;
  /** Buffers whose ownership the step changed (ids from the engine). */
  owners: readonly number[];
}

export interface StepDetail {
  events: KernelEvent[];
  hazards: Hazard[];
}

/** A node of the Variables view, produced lazily by the engine's state. */
export interface ValueNode {
  name: string;
  value: string;
  type?: string;
  /** Children by index range: large collections are paged (`indexed`), small ones listed (`named`). */
  children?: { indexed?: number; named?: number; get(start: number, count: number): ValueNode[] };
  /** `node[i]`: an element of the collection, or a byte of a buffer. */
  at?(index: number): ValueNode | undefined;
  memoryReference?: string;
  /** Set when a data breakpoint can watch this value. */
  dataId?: string;
}

/** A value a data breakpoint watches: which steps can change it, and how to read it now. */
export interface DataWatch {
  description: string;
  flags: number;
  /** When set, only steps that changed this buffer's owner can fire. */
  ownerOf?: number;
  read(): string;
}

export interface Scope {
  name: string;
  node: ValueNode;
  expensive: boolean;
}

/** Inspection of the current state; every call is free of side effects on the run. */
export interface StateView {
  /**
   * `step`: the step the stop stands at, before it or inside it (then the state shows its effects, and a trace's
   * event is that step's, not the next one's); undefined: the step about to run in the state.
   */
  scopes(frame: number, step?: number): Scope[];
  /** Throws an Error with a readable message for an unknown name or path. */
  evaluate(expression: string, frame: number, step?: number): ValueNode;
  /** Bytes at a memory reference, as `readMemory` wants them; undefined for an unknown reference. */
  readMemory(reference: string, offset: number, count: number): { address: string; data: Uint8Array; unreadable: number } | undefined;
  /** Throws an Error saying why for an id it does not know (`unknownData`), or one that would watch nothing. */
  watch(dataId: string): DataWatch;
}

/** How the session names what it debugs: a scenario on the modeled kernel, unless the engine says otherwise. */
export interface ProgramWords {
  /** The program: `scenario`, `trace`. */
  program: string;
  /** What one step of it is called, as the CLI and the editor call it too: `statement`, `event`. */
  step: string;
  /** Where a step's kernel events come from, for the kernel source's label: `modeled kernel`. */
  kernel: string;
  /** The kernel source's heading after the statement: what its lines are. */
  narrative: string;
}

export const SCENARIO_WORDS: ProgramWords = { program: 'scenario', step: SCENARIO_STEP, kernel: 'modeled kernel', narrative: 'what the modeled kernel does, in order' };

export const wordsOf = (engine: Engine): ProgramWords => engine.words ?? SCENARIO_WORDS;

/** Recorded step `step` (from 0) as a label names it: `statement 42`, counted from 1. */
export const stepName = (engine: Engine, step: number): string => `${wordsOf(engine).step} ${step + 1}`;

export interface Engine<S = unknown> {
  readonly path: string;
  readonly threadNames: readonly string[];
  readonly statements: readonly StatementInfo[];
  /** Statements executed so far. */
  readonly position: number;
  readonly done: boolean;
  /** Lets go of what the engine holds open (a file, reading threads): the session is done with it. */
  close?(): void;
  /** Once recorded: why the program has nothing to step through (a launch then fails with it), if so. */
  nothingToDebug?(): string | undefined;
  /** Why the run ended: its end, the step limit or the hazard limit. */
  readonly endReason: StopReason | undefined;
  frames(): SourceFrame[];
  /**
   * Runs the next step. What it returns is read at once and valid until the next step: an engine may hand the same
   * objects back for every step that raised nothing (a trace's first pass steps millions of events).
   */
  step(): { record: StepRecord; detail: StepDetail };
  /** Every hazard raised so far in order, `expected` set on those an `expect_hazard` consumed. */
  hazards(): Hazard[];
  /** Every buffer (engine id) a binding of this name has held during the recorded run, for `owner:NAME`. */
  buffersNamed(name: string): number[];
  /** `transient`: the snapshot is kept briefly (a fine one, while stepping back), so speed matters more than size. */
  snapshot(transient?: boolean): S;
  /** Puts the engine in `snapshot`'s state. `adopt`: the caller gives the snapshot up, so it need not be copied. */
  restore(snapshot: S, adopt?: boolean): void;
  readonly view: StateView;
  /** Statements a function breakpoint's name selects, for an engine with names of its own (a trace's `dma:ADDR`); without it, API-name globs. */
  functionStatements?(name: string): ReadonlySet<number>;
  /** Statements on lines `from..to`, for an engine with too many statements to filter (a trace's events); without it, a filter of `statements`. */
  statementsOnLines?(from: number, to: number): number[];
  /** Where the recording keeps this engine's step records; without it, dense typed arrays. */
  stepStore?(): StepStore;
  /** Without it, SCENARIO_WORDS. */
  readonly words?: ProgramWords;
}

/** Statement ids on lines `from..to` of the engine's program. */
export function statementsOnLines(engine: Engine, from: number, to = from): number[] {
  if (engine.statementsOnLines) return engine.statementsOnLines(from, to);
  const out: number[] = [];
  engine.statements.forEach((s, id) => {
    if (s.line >= from && s.line <= to) out.push(id);
  });
  return out;
}

/** What `StateView.watch` throws for a data id it does not know. */
export function unknownData(dataId: string): Error {
  return new Error(`Unknown data: ${quoted(dataId)}`);
}
