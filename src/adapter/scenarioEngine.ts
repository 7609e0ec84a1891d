// The engine for `.dmabuf` scenarios: the runtime's Runner stepping the machine, with statements numbered for
// the recording and each step's machine events turned into kernel frames and breakpoint flags.
import type { CallStmt, Program, Stmt } from '../language/ast';
import { targetNameOf } from '../language/callNode';
import type { MachineEvent } from '../machine/events';
import { eventLabels } from '../machine/buffers';
import { changesOwner, describeEvent, type EventLabels } from '../machine/events';
import type { Hazard } from '../machine/hazards';
import type { MachineState } from '../machine/state';
import { Runner, type RunnerSnapshot, type RunOptions } from '../runtime/runner';
import type { StopReason } from '../runtime/stop';
import type { Engine, KernelEvent, SourceFrame, StatementInfo, StepDetail, StepRecord } from './engine';
import { StepFlag } from './engine';
import { MachineView } from './machineView';
import { Growable } from './growable';
import { firstAtLeast } from '../sorted/search';

/** Events that can change bytes as the CPU would read them (through the cache or in memory). */
const BYTE_EVENTS = new Set<MachineEvent['type']>(['alloc', 'free', 'line', 'lines', 'writeback', 'clean', 'invalidate', 'bounce', 'dma']);
const CACHE_EVENTS = new Set<MachineEvent['type']>(['line', 'lines', 'writeback', 'clean', 'invalidate']);

export function flagsOf(e: MachineEvent): number {
  if (e.type === 'owner') return StepFlag.owner;
  if (e.type === 'hazard') return StepFlag.hazard;
  return (changesOwner(e) ? StepFlag.owner : 0) | (CACHE_EVENTS.has(e.type) ? StepFlag.cache : 0) | (BYTE_EVENTS.has(e.type) ? StepFlag.bytes : 0);
}

function kernelEvent(e: MachineEvent, labels: EventLabels): KernelEvent {
  if (e.type === 'call') return { kind: 'call', fn: e.fn, text: e.detail ?? '' };
  if (e.type === 'return') return { kind: 'return' };
  const buffer = e.type === 'owner' || e.type === 'alloc' || e.type === 'free' ? e.buffer : undefined;
  return { kind: 'effect', text: describeEvent(e, labels), flags: flagsOf(e), buffer, hazard: e.type === 'hazard' ? e.kind : undefined };
}

/** Every call statement of the program, in source order, proc and repeat bodies included. */
function callsOf(body: readonly Stmt[], out: CallStmt[] = []): CallStmt[] {
  for (const s of body) {
    if (s.kind === 'call') out.push(s);
    else if (s.kind === 'proc' || s.kind === 'repeat') callsOf(s.body, out);
  }
  return out;
}

/**
 * A step's events as the kernel view shows them, made only when read (the step-into view, the console), not for
 * every step recorded. They are read before the engine steps again, while `state` still names what the step bound.
 */
class ScenarioStepDetail implements StepDetail {
  private text?: KernelEvent[];

  constructor(
    private readonly raw: readonly MachineEvent[],
    readonly hazards: Hazard[],
    private readonly state: MachineState,
  ) {}

  get events(): KernelEvent[] {
    if (!this.text) {
      const labels = eventLabels(this.state);
      this.text = this.raw.map((e) => kernelEvent(e, labels));
    }
    return this.text;
  }
}

export class ScenarioEngine implements Engine<RunnerSnapshot> {
  readonly runner: Runner;
  readonly statements: StatementInfo[];
  readonly threadNames: string[];
  readonly view: MachineView;
  private readonly ids = new Map<CallStmt, number>();
  private readonly threadIds = new Map<string, number>();
  /** Buffers each binding name was given by an allocating call, over the recorded run. */
  private readonly named = new Map<string, Set<number>>();
  /** Every buffer allocated over the recorded run, by id (ascending: ids count up), and its size. */
  private readonly bufferIds = new Growable(Float64Array);
  private readonly bufferSizes = new Growable(Float64Array);

  constructor(
    readonly program: Program,
    readonly path: string,
    text: string,
    opts: RunOptions,
  ) {
    this.runner = new Runner(program, opts);
    const lines = text.split(/\r?\n/);
    this.statements = callsOf(program.body).map((s, id) => {
      this.ids.set(s, id);
      const { start, end } = s.span;
      const endColumn = end.line === start.line ? end.column : (lines[start.line - 1]?.length ?? 0) + 1;
      const source = (lines[start.line - 1] ?? '').slice(start.column - 1, endColumn - 1).trim();
      return { line: start.line, column: start.column, endColumn, name: s.callee, text: source || s.callee };
    });
    this.threadNames = ['cpu', ...program.devices.keys()];
    this.threadNames.forEach((n, i) => this.threadIds.set(n, i));
    this.view = new MachineView(this);
  }

  get position(): number {
    return this.runner.stepCount;
  }

  get done(): boolean {
    return this.runner.done;
  }

  get endReason(): StopReason | undefined {
    return this.runner.stopReason;
  }

  frames(): SourceFrame[] {
    return this.runner.frames().map((f) => ({ name: f.name, line: f.loc.line, column: f.loc.column }));
  }

  /** Stepping over and out follows procs, not repeats: a loop body is stepped through, as in a program. */
  private procDepth(): number {
    let n = 0;
    for (const f of this.runner.frames()) if (f.kind !== 'repeat') n++;
    return n;
  }

  step(): { record: StepRecord; detail: StepDetail } {
    const depth = this.procDepth();
    const s = this.runner.step();
    let flags = s.hazards.length > 0 ? StepFlag.hazard : 0;
    const owners: number[] = [];
    for (const e of s.events) {
      flags |= flagsOf(e);
      if (changesOwner(e) && 'buffer' in e && !owners.includes(e.buffer)) owners.push(e.buffer);
      if (e.type === 'alloc') {
        // A replay from a checkpoint allocates again what the recording noted.
        if (this.bufferIds.length === 0 || e.buffer > this.bufferIds.at(this.bufferIds.length - 1)) {
          this.bufferIds.push(e.buffer);
          this.bufferSizes.push(e.size);
        }
        const bound = targetNameOf(s.stmt);
        if (bound !== undefined) this.nameBuffer(bound, e.buffer);
      }
    }
    const op = s.stmt.resolved?.op;
    if (op === 'cpu.write' || op === 'device.write') flags |= StepFlag.bytes;
    return {
      record: { stmt: this.ids.get(s.stmt) ?? 0, thread: this.threadIds.get(s.thread) ?? 0, depth, flags, owners },
      detail: new ScenarioStepDetail(s.events, s.hazards, this.runner.machine.state),
    };
  }

  /** The size buffer `id` was allocated with in the recorded run; undefined if no allocation made it. */
  sizeOfBuffer(id: number): number | undefined {
    const ids = this.bufferIds;
    const k = firstAtLeast(ids.length, (i) => ids.at(i), id);
    return k < ids.length && ids.at(k) === id ? this.bufferSizes.at(k) : undefined;
  }

  private nameBuffer(name: string, buffer: number): void {
    const set = this.named.get(name) ?? new Set<number>();
    set.add(buffer);
    this.named.set(name, set);
  }

  buffersNamed(name: string): number[] {
    return [...(this.named.get(name) ?? [])];
  }

  hazards(): Hazard[] {
    return this.runner.hazards();
  }

  snapshot(transient = false): RunnerSnapshot {
    return this.runner.snapshot(transient);
  }

  restore(snapshot: RunnerSnapshot, adopt = false): void {
    this.runner.restore(snapshot, adopt);
  }
}
