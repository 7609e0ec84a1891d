// The interpreter: executes a resolved program on the machine one statement (one step) at a time. It is an
// explicit state machine (frames with program counters, no generators) so the debugger can snapshot and restore it.
import type { CallStmt, Program, ResolvedValue, Stmt } from '../language/ast';
import { expectedOf, startOf, targetNameOf } from '../language/callNode';
import type { Hazard, Loc } from '../machine/hazards';
import { Machine, type Handle, type MachineSnapshot } from '../machine/machine';
import type { MachineEvent } from '../machine/events';
import { machineConfigOf, type Arch } from './config';
import { expectLeaks, judgeLeaks, type LeakExpectations } from './leakExpectations';
import { Args, operation } from './operations';
import { HAZARD_LIMIT, HAZARDS_HELD, OBJECT_LIMIT, type StopReason } from './stop';
import { ArgumentError, type Value } from './values';

export interface RunOptions {
  /** Statements executed before the run is stopped (a scenario may never end). */
  stepLimit?: number;
  /** Objects held at once before the run is stopped (`OBJECT_LIMIT`; lower only for a test's sake). */
  objectLimit?: number;
  platform?: Arch;
  /** Build each step's machine events (default); false when nobody reads them (the headless check). */
  events?: boolean;
}

export const DEFAULT_STEP_LIMIT = 10_000_000;

export interface FrameView {
  /** `main`, the proc's name, or `repeat 3/10`. */
  name: string;
  kind: 'main' | 'proc' | 'repeat';
  /** The frame's current statement (for outer frames: the proc call or repeat in progress). */
  loc: Loc;
  iteration?: number;
  count?: number;
}

export interface Step {
  index: number;
  stmt: CallStmt;
  loc: Loc;
  /** `cpu`, or the device whose DMA this statement is. */
  thread: string;
  /** Frames on the stack when the statement ran (1 = top level). */
  depth: number;
  events: MachineEvent[];
  hazards: Hazard[];
}

interface Frame {
  kind: 'main' | 'proc' | 'repeat';
  name: string;
  body: Stmt[];
  pc: number;
  /** main and proc frames own a scope; repeat frames use the nearest owner's. */
  scope?: Map<string, Value>;
  iteration: number;
  count: number;
  /** Where this frame was entered from (proc call or repeat statement), for its parent's position. */
  entry?: Stmt;
  /** hazards.length when the frame (or the current repeat iteration) began. */
  hazardStart: number;
  /** The machine's next object id when the frame began. */
  idStart: number;
  /**
   * Of the last statement executed in this block, other than expect_hazard: the hazard index range it raised, then
   * the range of object ids it made (updated in place).
   */
  prev?: [number, number, number, number];
}

export interface RunnerSnapshot {
  readonly frames: readonly Frame[];
  readonly machine: MachineSnapshot;
  /** The hazards raised so far, in chunks shared with earlier snapshots while unchanged. */
  readonly hazards: readonly (readonly Hazard[])[];
  readonly steps: number;
  readonly stopReason: StopReason | undefined;
  /** The expect_hazard(leak)s run so far, judged at the end. */
  readonly leakExpectations: LeakExpectations;
}

const HAZARD_CHUNK = 512;

/**
 * `all` in chunks, sharing the full chunks of `previous` that lie below `unchangedBelow`: the list only grows and
 * expect_hazard replaces entries from some index on, so a snapshot copies what changed only, however many hazards
 * a long run raised.
 */
function chunkHazards(all: readonly Hazard[], previous: readonly (readonly Hazard[])[], unchangedBelow: number): (readonly Hazard[])[] {
  const out: (readonly Hazard[])[] = [];
  for (let at = 0; at < all.length; at += HAZARD_CHUNK) {
    const old = previous[out.length];
    const keep = old !== undefined && old.length === HAZARD_CHUNK && at + HAZARD_CHUNK <= unchangedBelow;
    out.push(keep ? old : all.slice(at, at + HAZARD_CHUNK));
  }
  return out;
}

/** The handle ids any frame's bindings hold: all the program can still name. */
function* boundHandles(frames: readonly Frame[]): Iterable<number> {
  for (const f of frames) if (f.scope) for (const v of f.scope.values()) if (v.kind === 'handle') yield v.handle.id;
}

/** The hazards of a step that raised none: shared, as most steps raise none (frozen: nobody may add to it). */
const NO_HAZARDS = Object.freeze([]) as unknown as Hazard[];

/** Records a statement's hazard and object id ranges as a frame's `prev`, reusing its tuple: one fewer allocation per step. */
function setPrev(f: Frame, from: number, to: number, idFrom: number, idTo: number): void {
  if (f.prev) {
    f.prev[0] = from;
    f.prev[1] = to;
    f.prev[2] = idFrom;
    f.prev[3] = idTo;
  } else f.prev = [from, to, idFrom, idTo];
}

/** Copies made field by field, all in one shape: a spread over the frames' several shapes is V8's slow path. */
function copyFrames(frames: readonly Frame[]): Frame[] {
  return frames.map((f) => ({
    kind: f.kind, name: f.name, body: f.body, pc: f.pc, scope: f.scope && new Map(f.scope), iteration: f.iteration, count: f.count,
    entry: f.entry, hazardStart: f.hazardStart, idStart: f.idStart, prev: f.prev && [f.prev[0], f.prev[1], f.prev[2], f.prev[3]],
  }));
}

export class Runner {
  machine: Machine;
  private stack: Frame[];
  private allHazards: Hazard[] = [];
  /** How many of `allHazards` expect_hazard consumed. */
  private expectedCount = 0;
  /** The last snapshot's (or restored) hazard chunks, which the next snapshot shares where unchanged. */
  private hazardChunks: readonly (readonly Hazard[])[] = [];
  /** The lowest index expect_hazard has replaced since those chunks were made. */
  private hazardsReplacedFrom = Infinity;
  private steps = 0;
  private reason: StopReason | undefined;
  /** Never changed in place: snapshots share it. */
  private leakExpectations: LeakExpectations;
  private readonly stepLimit: number;
  private readonly objectLimit: number;
  private readonly args = new Args((v) => this.evaluate(v));

  constructor(
    readonly program: Program,
    opts: RunOptions = {},
  ) {
    this.machine = new Machine({ ...machineConfigOf(program, opts.platform), events: opts.events });
    this.machine.trackBindings(() => boundHandles(this.stack));
    this.stepLimit = opts.stepLimit ?? DEFAULT_STEP_LIMIT;
    this.objectLimit = opts.objectLimit ?? OBJECT_LIMIT;
    this.stack = [{ kind: 'main', name: 'main', body: program.body, pc: 0, scope: new Map(), iteration: 1, count: 1, hazardStart: 0, idStart: 0 }];
    this.settle();
  }

  get stepCount(): number {
    return this.steps;
  }

  get done(): boolean {
    return this.reason !== undefined;
  }

  get stopReason(): StopReason | undefined {
    return this.reason;
  }

  /** The statement that executes next: where a debugger stands. */
  next(): CallStmt | undefined {
    if (this.done) return undefined;
    const f = this.stack[this.stack.length - 1];
    return f.body[f.pc] as CallStmt;
  }

  nextThread(): string {
    const s = this.next();
    return s ? threadOf(s) : 'cpu';
  }

  hazards(): Hazard[] {
    return this.allHazards;
  }

  frames(): FrameView[] {
    const views: FrameView[] = [];
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const f = this.stack[i];
      const cur = i === this.stack.length - 1 ? f.body[f.pc] : this.stack[i + 1].entry;
      const loc = cur ? startOf(cur) : f.body.length ? startOf(f.body[f.body.length - 1]) : { line: 1, column: 1 };
      const name = f.kind === 'repeat' ? `repeat ${f.iteration}/${f.count}` : f.name;
      views.push({ name, kind: f.kind, loc, ...(f.kind === 'repeat' ? { iteration: f.iteration, count: f.count } : {}) });
    }
    return views;
  }

  /** The names visible in a frame (0 = innermost): its proc's scope over the top-level bindings. */
  bindings(frame = 0): Map<string, Value> {
    const idx = this.stack.length - 1 - frame;
    const out = new Map(this.stack[0].scope);
    const owner = this.scopeOwner(idx);
    if (owner > 0) for (const [k, v] of this.stack[owner].scope!) out.set(k, v);
    return out;
  }

  /** `transient`: kept briefly (the debugger's fine snapshots), so made for speed rather than size. */
  snapshot(transient = false): RunnerSnapshot {
    return {
      frames: copyFrames(this.stack),
      machine: this.machine.snapshot(transient),
      hazards: this.shareHazards(),
      steps: this.steps,
      stopReason: this.reason,
      leakExpectations: this.leakExpectations,
    };
  }

  /** `adopt`: the caller gives `s` up, so its frames and machine state are taken as they are, not copied. */
  restore(s: RunnerSnapshot, adopt = false): void {
    this.stack = adopt ? (s.frames as Frame[]) : copyFrames(s.frames);
    this.machine = Machine.restore(s.machine, adopt);
    this.machine.trackBindings(() => boundHandles(this.stack));
    this.allHazards = ([] as Hazard[]).concat(...s.hazards);
    this.expectedCount = this.allHazards.reduce((n, h) => n + (h.expected ? 1 : 0), 0);
    this.hazardChunks = s.hazards;
    this.hazardsReplacedFrom = Infinity;
    this.steps = s.steps;
    this.reason = s.stopReason;
    this.leakExpectations = s.leakExpectations;
  }

  private shareHazards(): readonly (readonly Hazard[])[] {
    this.hazardChunks = chunkHazards(this.allHazards, this.hazardChunks, this.hazardsReplacedFrom);
    this.hazardsReplacedFrom = Infinity;
    return this.hazardChunks;
  }

  /** Executes the next statement. The step that ends the run also carries the end-of-run leak check. */
  step(): Step {
    const stmt = this.next();
    if (!stmt) throw new Error('the run has ended');
    const depth = this.stack.length;
    const frame = this.stack[depth - 1];
    frame.pc++;
    const loc = startOf(stmt);
    const first = this.allHazards.length;
    const firstId = this.machine.nextObjectId;
    const events = this.execute(stmt, frame, loc);
    if (stmt.resolved?.op !== 'expect_hazard' && stmt.resolved?.op !== 'proc') setPrev(frame, first, this.allHazards.length, firstId, this.machine.nextObjectId);
    this.steps++;
    this.settle();
    if (this.reason === undefined && this.steps >= this.stepLimit) this.reason = 'step-limit';
    if (this.reason === undefined && this.machine.objectsKept >= this.objectLimit) this.reason = 'object-limit';
    const held = this.allHazards.length;
    if (this.reason === undefined && (held - this.expectedCount >= HAZARD_LIMIT || held >= HAZARDS_HELD) && !this.judgedNext(first)) this.reason = 'hazard-limit';
    if (this.reason === 'end') events.push(...this.finish(loc));
    const hazards = this.allHazards.length > first ? this.allHazards.slice(first) : NO_HAZARDS;
    return { index: this.steps - 1, stmt, loc, thread: threadOf(stmt), depth, events, hazards };
  }

  private execute(stmt: CallStmt, frame: Frame, loc: Loc): MachineEvent[] {
    const r = stmt.resolved;
    if (!r) return [];
    if (r.op === 'proc') {
      this.callProc(stmt);
      return [];
    }
    if (r.op === 'expect_hazard') {
      this.expectHazard(frame, (r.args.kind as { name: string }).name, loc);
      return [];
    }
    const run = operation(r.op);
    const expected = expectedOf(stmt);
    this.machine.begin(loc);
    let result: unknown;
    let argError: string | undefined;
    try {
      result = run(this.machine, this.args.reset(r.op, r.args), expected === 'error' ? undefined : expected);
    } catch (e) {
      if (!(e instanceof ArgumentError)) throw e;
      argError = e.message;
    }
    const out = this.machine.end();
    const hazards = out.hazards;
    if (argError) hazards.push({ kind: 'api-misuse', loc, message: argError, related: [], failure: true });
    const failed = out.failed || argError !== undefined;
    if (expected === 'error') {
      if (failed) this.allHazards.push(...hazards.filter((h) => !h.failure));
      else {
        this.allHazards.push(...hazards);
        this.allHazards.push({ kind: 'expect-failed', loc, message: `${stmt.callee} was expected to fail (expect error), but it succeeded`, related: [] });
      }
    } else if (hazards.length > 0) this.allHazards.push(...hazards); // most steps raise none: skip the spread call
    const target = isHandle(result) ? targetNameOf(stmt) : undefined;
    if (target !== undefined) {
      this.machine.nameHandle(result as Handle, target); // messages then say `buf`, not `kmalloc #1`
      this.bind(target, { kind: 'handle', handle: result as Handle });
    }
    return out.events;
  }

  private evaluate(v: ResolvedValue): Value {
    switch (v.kind) {
      case 'handle':
        return this.lookup(v.name) ?? { kind: 'word', name: v.name };
      case 'device': {
        const bound = this.lookup(v.name);
        return bound && bound.kind === 'device' ? bound : { kind: 'device', name: v.name };
      }
      case 'args':
        throw new ArgumentError('nested argument lists are only for proc calls');
      default:
        return v;
    }
  }

  /** A proc's own scope, else the top-level bindings as they are now. */
  private lookup(name: string): Value | undefined {
    const owner = this.scopeOwner(this.stack.length - 1);
    return this.stack[owner].scope!.get(name) ?? (owner > 0 ? this.stack[0].scope!.get(name) : undefined);
  }

  private scopeOwner(idx: number): number {
    let i = idx;
    while (i > 0 && !this.stack[i].scope) i--;
    return i;
  }

  private bind(name: string, v: Value): void {
    this.stack[this.scopeOwner(this.stack.length - 1)].scope!.set(name, v);
  }

  private callProc(stmt: CallStmt): void {
    const r = stmt.resolved!;
    const name = (r.args.proc as { name: string }).name;
    const proc = this.program.procs.get(name)!;
    const values = (r.args.args as { values: ResolvedValue[] } | undefined)?.values ?? [];
    const scope = new Map<string, Value>();
    proc.params.forEach((p, i) => {
      const arg = values[i];
      if (arg) scope.set(p.name, arg.kind === 'handle' && !this.lookup(arg.name) && this.program.devices.has(arg.name) ? { kind: 'device', name: arg.name } : this.evaluate(arg));
    });
    this.stack.push({ kind: 'proc', name, body: proc.body, pc: 0, scope, iteration: 1, count: 1, entry: stmt, hazardStart: this.allHazards.length, idStart: this.machine.nextObjectId });
  }

  private expectHazard(frame: Frame, kind: string, loc: Loc): void {
    const [from, to] = frame.prev ?? [0, 0];
    this.hazardsReplacedFrom = Math.min(this.hazardsReplacedFrom, from);
    let found = 0;
    for (let i = from; i < to; i++) {
      const h = this.allHazards[i];
      if (h.kind === kind && !h.expected) {
        this.allHazards[i] = { ...h, expected: true };
        this.expectedCount++;
        found++;
      }
    }
    if (!frame.prev) {
      this.allHazards.push({ kind: 'expect-failed', loc, message: `expect_hazard(${kind}): no statement runs before it in this block`, related: [] });
    } else if (found === 0 && kind === 'leak') {
      this.leakExpectations = expectLeaks(this.leakExpectations, loc, frame.prev[2], frame.prev[3]);
    } else if (found === 0) {
      const raised = [...new Set(this.allHazards.slice(from, to).map((h) => h.kind))];
      this.allHazards.push({
        kind: 'expect-failed',
        loc,
        message: `expect_hazard(${kind}): the statement before did not raise ${kind}` + (raised.length ? ` (it raised ${raised.join(', ')})` : ' (it raised no hazard)'),
        related: [],
      });
    }
  }

  /**
   * Whether the next statement is an `expect_hazard` that judges the hazards the statement just run raised (from `first` on),
   * directly or as the proc or repeat that it ended: the hazard limit waits for it, or the hazards it expects would
   * count as unexpected. A run of `expect_hazard`s is waited through while each holds; one that fails raises a
   * hazard past what is judged, which ends the wait.
   */
  private judgedNext(first: number): boolean {
    const top = this.stack[this.stack.length - 1];
    const judged = top.prev;
    return judged !== undefined && judged[0] <= first && judged[1] === this.allHazards.length &&
      (top.body[top.pc] as CallStmt | undefined)?.resolved?.op === 'expect_hazard';
  }

  /**
   * Moves past finished blocks and into repeats until the next statement is a call, or the run has ended.
   * Declarations and proc definitions are not steps; a repeat header opens its first iteration.
   */
  private settle(): void {
    for (;;) {
      const f = this.stack[this.stack.length - 1];
      if (f.pc >= f.body.length) {
        if (f.kind === 'repeat' && f.iteration < f.count) {
          f.iteration++;
          f.pc = 0;
          f.prev = undefined;
          continue;
        }
        if (f.kind === 'main') {
          this.reason ??= 'end';
          return;
        }
        this.stack.pop();
        setPrev(this.stack[this.stack.length - 1], f.hazardStart, this.allHazards.length, f.idStart, this.machine.nextObjectId);
        continue;
      }
      const s = f.body[f.pc];
      if (s.kind === 'call') return;
      f.pc++;
      if (s.kind === 'repeat' && s.count > 0 && runsACall(s.body)) {
        this.stack.push({ kind: 'repeat', name: 'repeat', body: s.body, pc: 0, iteration: 1, count: s.count, entry: s, hazardStart: this.allHazards.length, idStart: this.machine.nextObjectId });
      }
    }
  }

  private finish(loc: Loc): MachineEvent[] {
    this.machine.begin(loc);
    this.machine.finish();
    const out = this.machine.end();
    const first = this.allHazards.length;
    this.allHazards.push(...out.hazards);
    const { marked, failed } = judgeLeaks(this.leakExpectations, this.allHazards, first);
    this.expectedCount += marked.length;
    if (marked.length > 0) this.hazardsReplacedFrom = Math.min(this.hazardsReplacedFrom, marked[0]);
    this.allHazards.push(...failed);
    return out.events;
  }
}

/** Per repeat body, whether it runs any call: a loop of loops of nothing runs no step, so the step limit would never stop it. */
const callsIn = new WeakMap<readonly Stmt[], boolean>();

function runsACall(body: readonly Stmt[]): boolean {
  let calls = callsIn.get(body);
  if (calls === undefined) {
    calls = body.some((s) => s.kind === 'call' || (s.kind === 'repeat' && s.count > 0 && runsACall(s.body)));
    callsIn.set(body, calls);
  }
  return calls;
}

function isHandle(v: unknown): v is Handle {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'id' in v && 'type' in v;
}

export function threadOf(stmt: CallStmt): string {
  const r = stmt.resolved;
  if (r && (r.op === 'device.read' || r.op === 'device.write')) {
    const d = r.args.dev;
    if (d && d.kind === 'device') return d.name;
  }
  return 'cpu';
}
