// The recorded run: a compact record per step (in the engine's step store, else typed arrays), engine snapshots
// between segments of steps, and `seek` to any position by restoring the nearest snapshot and replaying (events
// are regenerated, never stored).
// Segments adapt to what snapshots cost: a snapshot is taken once the steps since the last one took COST_RATIO
// times as long as that snapshot, so recording overhead stays small and a seek costs a few snapshots' time.
import type { Hazard } from '../machine/hazards';
import type { Engine, StepDetail } from './engine';
import { Growable } from './growable';
import { segmentAt } from '../sorted/search';
import { DenseSteps, type StepStore } from './stepStore';

const MIN_SNAPSHOT_INTERVAL = 512;
const COST_RATIO = 4;
/**
 * Finer snapshots taken while replaying a segment backwards, so that repeated stepBack replays few steps: the
 * minimum spacing is one step; the fine clock (FINE_COST_RATIO) spaces them by what each costs.
 */
const MIN_FINE_INTERVAL = 1;
/**
 * And at most this many steps apart, whatever the clock says: a stepBack then never replays more, even after a
 * snapshot that a garbage collection made look expensive.
 */
const MAX_FINE_INTERVAL = 16;
/** Fine snapshots are worth more (each saves a replay on every later stepBack): one per snapshot's cost of steps. */
const FINE_COST_RATIO = 1;

/** Decides when the next snapshot is worth its cost. */
class SnapshotClock {
  private steps = 0;
  private since = performance.now();
  private cost = 0;

  constructor(
    private readonly min: number,
    private readonly max: number,
    private readonly ratio: number,
  ) {}

  due(): boolean {
    if (this.steps < this.min) return false;
    return this.steps >= this.max || performance.now() - this.since >= this.ratio * this.cost;
  }

  tick(): void {
    this.steps++;
  }

  /**
   * Takes a snapshot and remembers what it cost. The cost may at most double from one snapshot to the next: a
   * snapshot that a garbage collection interrupted must not space out the ones after it.
   */
  take<S>(snap: () => S): S {
    const t = performance.now();
    const s = snap();
    this.since = performance.now();
    const cost = this.since - t;
    this.cost = this.cost > 0 ? Math.min(cost, 2 * this.cost) : cost;
    this.steps = 0;
    return s;
  }

  restart(): void {
    this.steps = 0;
    this.since = performance.now();
  }
}

export class Recording<S = unknown> {
  /** The per-step records: stmt, thread, depth, flags, owners and where each step's hazards start. */
  readonly steps: StepStore;
  /** Every hazard of the run, in the order raised, `expected` set where consumed. */
  hazards: Hazard[] = [];
  private hazardCount = 0;
  private finished = false;
  private readonly snapshots: S[] = [];
  /** Position of each snapshot; segment i is [snapPos[i], snapPos[i+1]). */
  private readonly snapPos = new Growable(Uint32Array);
  private readonly clock: SnapshotClock;
  private fine = new Map<number, S>();
  /** The position of the fine snapshot the engine adopted (and the recording gave up), or -1. */
  private adopted = -1;
  private fineSegment = -1;
  private readonly fineClock = new SnapshotClock(MIN_FINE_INTERVAL, MAX_FINE_INTERVAL, FINE_COST_RATIO);

  /** `minInterval` and `maxInterval` bound the steps between snapshots (equal: a fixed interval). */
  constructor(
    readonly engine: Engine<S>,
    minInterval = MIN_SNAPSHOT_INTERVAL,
    maxInterval = Infinity,
  ) {
    this.clock = new SnapshotClock(minInterval, maxInterval, COST_RATIO);
    this.steps = engine.stepStore?.() ?? new DenseSteps();
  }

  get segmentCount(): number {
    return this.snapPos.length;
  }

  segmentStart(i: number): number {
    return i < this.snapPos.length ? this.snapPos.at(i) : this.length;
  }

  /** The segment holding `position` (the last one at or before it). */
  segmentOf(position: number): number {
    const at = this.snapPos.view();
    return segmentAt(at.length, (k) => at[k], position);
  }

  /** Steps recorded: the run's length once `recordSteps` has returned true. */
  get length(): number {
    return this.steps.length;
  }

  /** Whether the whole run is recorded (then the hazard bookkeeping is complete). */
  private get complete(): boolean {
    return this.engine.done && this.finished;
  }

  /** Records up to `budget` more steps; returns true once the run has ended and its recording is complete. */
  recordSteps(budget = Infinity): boolean {
    const e = this.engine;
    for (let n = 0; n < budget && !e.done; n++) {
      if (this.snapPos.length === 0 || this.clock.due()) {
        this.snapPos.push(e.position);
        this.snapshots.push(this.clock.take(() => e.snapshot()));
      }
      const { record, detail } = e.step();
      this.clock.tick();
      this.steps.push(record, detail.hazards.length);
      this.hazardCount += detail.hazards.length;
    }
    if (!e.done) return false;
    if (!this.complete) this.finish();
    return true;
  }

  private finish(): void {
    this.hazards = this.engine.hazards().slice(0, this.hazardCount);
    this.steps.finish(this.hazards);
    this.finished = true;
  }

  /** The hazards step i raised. */
  hazardsOf(i: number): Hazard[] {
    return this.hazards.slice(this.steps.hazardStart(i), this.steps.hazardStart(i + 1));
  }

  /** Hazards raised before `position` (the Hazards scope there). */
  hazardsBefore(position: number): Hazard[] {
    return this.hazards.slice(0, this.steps.hazardStart(position));
  }

  /** Kinds (bits of `kindBit`) of the unexpected hazards step i raised. */
  unexpectedKinds(i: number): number {
    return this.steps.unexpected(i);
  }

  /** Whether step i changed the owner of buffer `id`. */
  changedOwnerOf(i: number, id: number): boolean {
    return this.steps.changedOwnerOf(i, id);
  }

  /**
   * Puts the engine at `position` (steps executed), replaying at most one segment. Going backwards it also
   * keeps finer snapshots of the segment it replays, so that the next stepBack replays a few steps only.
   */
  seek(position: number, keepDeparture = false): void {
    const e = this.engine;
    if (position < 0 || position > this.length) throw new RangeError(`position ${position} outside the run (0..${this.length})`);
    const backwards = position < e.position;
    const segment = this.segmentOf(position);
    // Forwards, replaying from here is cheaper than restoring when it is closer than the segment's snapshot.
    if (backwards || position - e.position > position - this.snapPos.at(segment)) this.restoreNear(position, segment);
    else if (keepDeparture && e.position < position) this.keepFine(e.position);
    if (backwards) this.fineClock.restart();
    while (e.position < position) {
      if (backwards && this.fineClock.due() && !this.fine.has(e.position)) this.fine.set(e.position, this.fineClock.take(() => e.snapshot(true)));
      this.stepEngine();
      this.fineClock.tick();
    }
  }

  /** Keeps a fine snapshot of the state at `position` (where the engine stands), in that position's segment. */
  private keepFine(position: number): void {
    const fine = this.fineOf(this.segmentOf(position));
    if (!fine.has(position)) fine.set(position, this.engine.snapshot(true));
  }

  /** The fine snapshots of `segment`: those of one segment are kept at a time. */
  private fineOf(segment: number): Map<number, S> {
    if (segment !== this.fineSegment) {
      this.fine = new Map();
      this.fineSegment = segment;
    }
    return this.fine;
  }

  /**
   * Steps the engine on from where it stands. A fine snapshot the engine adopted is taken again first, as the
   * engine leaves its position: stepping back and forth over one spot then finds it again.
   */
  private stepEngine(): StepDetail {
    const e = this.engine;
    if (this.adopted === e.position) this.keepFine(e.position);
    this.adopted = -1;
    return e.step().detail;
  }

  private restoreNear(position: number, segment: number): void {
    const fine = this.fineOf(segment);
    const coarse = this.snapPos.at(segment);
    let best = coarse;
    let snap = this.snapshots[segment];
    const exact = fine.get(position); // a stepBack over fine snapshots: no search
    if (exact !== undefined) {
      best = position;
      snap = exact;
    } else {
      for (const [p, s] of fine) {
        if (p <= position && p > best) {
          best = p;
          snap = s;
        }
      }
    }
    // A fine snapshot is handed over rather than copied (a restore is a copy of the whole state, a few steps'
    // time): stepping back walks from one to the next; `stepEngine` takes it again if the engine moves on.
    const handOver = best !== coarse;
    if (handOver) fine.delete(best);
    this.engine.restore(snap, handOver);
    this.adopted = handOver ? best : -1;
  }

  /** Re-executes step i to regenerate its events; leaves the engine after step i. */
  replay(i: number): StepDetail {
    this.seek(i);
    return this.stepEngine();
  }

  /** Bytes held: the step records and the snapshot positions (snapshots themselves are estimated by the caller). */
  recordBytes(): number {
    return this.steps.bytes() + this.snapPos.bytes;
  }
}
