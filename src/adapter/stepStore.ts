// Where a recording keeps its per-step records: the interface the recording, navigator and stop finder read
// through, and the dense store (typed arrays, a few bytes per step) that scenarios use. An engine whose steps can
// be re-derived more cheaply (a trace re-reads its file) brings its own store.
import type { Hazard } from '../machine/hazards';
import { HAZARD_KINDS } from '../machine/hazards';
import type { StepRecord } from './engine';
import { Growable } from './growable';

export interface StepStore {
  /** Steps stored. */
  readonly length: number;
  /** Appends the next step's record; it raised `raised` hazards. */
  push(record: StepRecord, raised: number): void;
  /** Once the run has ended: the run's hazards in order (`expected` set where consumed), for `unexpected`. */
  finish(hazards: readonly Hazard[]): void;
  stmt(i: number): number;
  thread(i: number): number;
  depth(i: number): number;
  flags(i: number): number;
  /** Index in the run's hazards of the first one step i raised; `hazardStart(length)` is their number. */
  hazardStart(i: number): number;
  /** Kinds (bits of `kindBit`) of the unexpected hazards step i raised (known once finished). */
  unexpected(i: number): number;
  changedOwnerOf(i: number, id: number): boolean;
  /** The last step before `before` that ran on `thread`, if any. */
  lastOnThread(thread: number, before: number): number | undefined;
  /** Bytes held for the steps (not counting bounded caches). */
  bytes(): number;
}

export function kindBit(kind: Hazard['kind']): number {
  return 1 << HAZARD_KINDS.indexOf(kind);
}

/** Every field of every step in growable typed arrays: constant-time reads for scenarios' tight loops. */
export class DenseSteps implements StepStore {
  private readonly stmts = new Growable(Uint32Array);
  private readonly threads = new Growable(Uint16Array);
  private readonly depths = new Growable(Uint16Array);
  private readonly flagBits = new Growable(Uint8Array);
  /** Step i's owner changes are ownerPool[ownerStart[i] .. ownerStart[i+1]). */
  private readonly ownerStart = new Growable(Uint32Array);
  private readonly ownerPool = new Growable(Uint32Array);
  /** Step i raised hazards[hazardStarts[i] .. hazardStarts[i+1]). */
  private readonly hazardStarts = new Growable(Uint32Array);
  private hazardCount = 0;
  private unexpectedBits = new Uint16Array(0);

  get length(): number {
    return this.stmts.length;
  }

  push(record: StepRecord, raised: number): void {
    this.stmts.push(record.stmt);
    this.threads.push(record.thread);
    this.depths.push(record.depth);
    this.flagBits.push(record.flags);
    this.ownerStart.push(this.ownerPool.length);
    for (const b of record.owners) this.ownerPool.push(b);
    this.hazardStarts.push(this.hazardCount);
    this.hazardCount += raised;
  }

  finish(hazards: readonly Hazard[]): void {
    this.ownerStart.push(this.ownerPool.length);
    this.hazardStarts.push(this.hazardCount);
    this.unexpectedBits = new Uint16Array(this.length);
    for (let i = 0; i < this.length; i++) {
      for (let k = this.hazardStarts.at(i), end = this.hazardStarts.at(i + 1); k < end; k++) if (!hazards[k].expected) this.unexpectedBits[i] |= kindBit(hazards[k].kind);
    }
  }

  stmt(i: number): number {
    return this.stmts.at(i);
  }

  thread(i: number): number {
    return this.threads.at(i);
  }

  depth(i: number): number {
    return this.depths.at(i);
  }

  flags(i: number): number {
    return this.flagBits.at(i);
  }

  hazardStart(i: number): number {
    return i < this.hazardStarts.length ? this.hazardStarts.at(i) : this.hazardCount;
  }

  unexpected(i: number): number {
    return this.unexpectedBits[i] ?? 0;
  }

  changedOwnerOf(i: number, id: number): boolean {
    for (let k = this.ownerStart.at(i), end = i + 1 < this.ownerStart.length ? this.ownerStart.at(i + 1) : this.ownerPool.length; k < end; k++) {
      if (this.ownerPool.at(k) === id) return true;
    }
    return false;
  }

  lastOnThread(thread: number, before: number): number | undefined {
    const threads = this.threads.view();
    for (let i = Math.min(before, threads.length) - 1; i >= 0; i--) if (threads[i] === thread) return i;
    return undefined;
  }

  bytes(): number {
    return (
      this.stmts.bytes + this.threads.bytes + this.depths.bytes + this.flagBits.bytes + this.ownerStart.bytes + this.ownerPool.bytes +
      this.hazardStarts.bytes + this.unexpectedBits.byteLength
    );
  }
}

/** The steps that execute one of `stmts`, in order (a breakpoint's hits, goto's targets): four bytes each. */
export function stepsRunning(steps: StepStore, stmts: ReadonlySet<number>): Uint32Array {
  const out = new Growable(Uint32Array);
  for (let i = 0; i < steps.length; i++) if (stmts.has(steps.stmt(i))) out.push(i);
  return out.view() as Uint32Array;
}
