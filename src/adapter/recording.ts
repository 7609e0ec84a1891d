// The recorded run: a compact record per step in typed arrays, engine snapshots every `interval` steps, and
// `seek` to any position by restoring the nearest snapshot and replaying (events are regenerated, never stored).
import type { Hazard, HazardKind } from '../machine/hazards';
import { HAZARD_KINDS } from '../machine/hazards';
import type { Engine, StepDetail } from './engine';
import { Growable } from './growable';

export const DEFAULT_SNAPSHOT_INTERVAL = 256;
/** Finer snapshots taken while replaying a segment backwards, so that repeated stepBack replays few steps. */
const FINE_INTERVAL = 16;

export class Recording<S = unknown> {
  readonly stmt = new Growable(Uint32Array);
  readonly thread = new Growable(Uint16Array);
  readonly depth = new Growable(Uint16Array);
  readonly flags = new Growable(Uint8Array);
  /** Step i's owner changes are ownerPool[ownerStart[i] .. ownerStart[i+1]). */
  private readonly ownerStart = new Growable(Uint32Array);
  private readonly ownerPool = new Growable(Uint32Array);
  /** Step i raised hazards[hazardStart[i] .. hazardStart[i+1]). */
  private readonly hazardStart = new Growable(Uint32Array);
  /** Per step, a bit per kind of HAZARD_KINDS raised and not consumed by `expect_hazard`; filled at the end. */
  private unexpected = new Uint16Array(0);
  /** Every hazard of the run, in the order raised, `expected` set where consumed. */
  hazards: Hazard[] = [];
  private hazardCount = 0;
  private readonly snapshots: S[] = [];
  private fine = new Map<number, S>();
  private fineSegment = -1;

  constructor(
    readonly engine: Engine<S>,
    readonly interval = DEFAULT_SNAPSHOT_INTERVAL,
  ) {}

  /** Steps recorded: the run's length once `recordSteps` has returned true. */
  get length(): number {
    return this.stmt.length;
  }

  /** Whether the whole run is recorded (then the hazard bookkeeping is complete). */
  get complete(): boolean {
    return this.engine.done && this.ownerStart.length === this.length + 1;
  }

  /** Records up to `budget` more steps; returns true once the run has ended and its recording is complete. */
  recordSteps(budget = Infinity): boolean {
    const e = this.engine;
    for (let n = 0; n < budget && !e.done; n++) {
      if (e.position % this.interval === 0) this.snapshots.push(e.snapshot());
      const { record, detail } = e.step();
      this.stmt.push(record.stmt);
      this.thread.push(record.thread);
      this.depth.push(record.depth);
      this.flags.push(record.flags);
      this.ownerStart.push(this.ownerPool.length);
      for (const b of record.owners) this.ownerPool.push(b);
      this.hazardStart.push(this.hazardCount);
      this.hazardCount += detail.hazards.length;
    }
    if (!e.done) return false;
    if (!this.complete) this.finish();
    return true;
  }

  private finish(): void {
    this.ownerStart.push(this.ownerPool.length);
    this.hazardStart.push(this.hazardCount);
    this.hazards = this.engine.hazards().slice(0, this.hazardCount);
    this.unexpected = new Uint16Array(this.length);
    for (let i = 0; i < this.length; i++) {
      for (const h of this.hazardsOf(i)) if (!h.expected) this.unexpected[i] |= kindBit(h.kind);
    }
  }

  /** The hazards step i raised. */
  hazardsOf(i: number): Hazard[] {
    return this.hazards.slice(this.hazardStart.at(i), this.hazardStart.at(i + 1));
  }

  /** Hazards raised before `position` (the Hazards scope there). */
  hazardsBefore(position: number): Hazard[] {
    return this.hazards.slice(0, this.hazardStart.at(position));
  }

  /** Kinds (bits of `kindBit`) of the unexpected hazards step i raised. */
  unexpectedKinds(i: number): number {
    return this.unexpected[i];
  }

  /** Whether step i changed the owner of buffer `id`. */
  changedOwnerOf(i: number, id: number): boolean {
    for (let k = this.ownerStart.at(i), end = this.ownerStart.at(i + 1); k < end; k++) if (this.ownerPool.at(k) === id) return true;
    return false;
  }

  /**
   * Puts the engine at `position` (steps executed), replaying at most one snapshot interval. Going backwards it
   * also keeps finer snapshots of the segment it replays, so that the next stepBack replays a few steps only.
   */
  seek(position: number): void {
    const e = this.engine;
    if (position < 0 || position > this.length) throw new RangeError(`position ${position} outside the run (0..${this.length})`);
    const backwards = position < e.position;
    if (backwards || position - e.position > this.interval) this.restoreNear(position);
    while (e.position < position) {
      if (backwards && e.position % FINE_INTERVAL === 0 && !this.fine.has(e.position)) this.fine.set(e.position, e.snapshot());
      e.step();
    }
  }

  private restoreNear(position: number): void {
    const segment = Math.floor(position / this.interval);
    if (segment !== this.fineSegment) {
      this.fine = new Map();
      this.fineSegment = segment;
    }
    let snap = this.snapshots[segment];
    for (let p = position - (position % FINE_INTERVAL); p > segment * this.interval; p -= FINE_INTERVAL) {
      const s = this.fine.get(p);
      if (s !== undefined) {
        snap = s;
        break;
      }
    }
    this.engine.restore(snap);
  }

  /** Re-executes step i to regenerate its events; leaves the engine after step i. */
  replay(i: number): StepDetail {
    this.seek(i);
    return this.engine.step().detail;
  }

  /** Bytes held: records, owner lists and (estimated by the caller) snapshots. */
  recordBytes(): number {
    return (
      this.stmt.bytes + this.thread.bytes + this.depth.bytes + this.flags.bytes + this.ownerStart.bytes + this.ownerPool.bytes +
      this.hazardStart.bytes + this.unexpected.byteLength
    );
  }

  get snapshotCount(): number {
    return this.snapshots.length;
  }

  snapshotAt(index: number): S {
    return this.snapshots[index];
  }
}

export function kindBit(kind: HazardKind): number {
  return 1 << HAZARD_KINDS.indexOf(kind);
}
