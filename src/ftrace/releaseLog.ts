// Where the trace last released each of the newest addresses (for double unmaps and frees), in two generations:
// when the young one has taken its share of releases, it becomes the old one and the previous old one is forgotten.
// A generation is a log of releases in the order made, indexed by address only when the checker asks about one:
// almost every release is of a live mapping and is never asked about, and putting each into a hash table as it
// came cost a probe of a table too large for the cache (13% of checking the common events). Only what the checks
// read is kept (the line a finding points to and the epoch that decides it), and what was released only by a log
// made to keep it: checkpoints of a debugged trace copy the young generation and share the old one, which no longer
// changes.
import { AddressTable } from './addressTable';
import type { Released } from './mappings';

/** What is remembered of a release: its line, and how many `[LOST N EVENTS]` markers came before it. */
export interface Release {
  line: number;
  epoch: number;
  /** What it released, in a log made to keep it (an import names it again); a release of nothing live passes on the last one's. */
  what?: Released;
}

/** Numbers per logged release: the address, the line, the epoch. */
const KEY = 0, LINE = 1, EPOCH = 2, STRIDE = 3;
const FIRST_ROOM = 16;

/** The log of a generation nothing was released in: a device has three logs, and most never log a release in two. */
const NO_LOG = new Float64Array(0);

class Generation {
  /** Each address's newest release among the first `indexed` of the log, by its place in the log (made when first asked). */
  private index: AddressTable | undefined;
  private indexed = 0;

  /** Takes `room` releases; starts with `count` of them in `log` (a copy's); keeps what each released in `what`, if given. */
  constructor(private readonly room: number, private readonly what: (Released | undefined)[] | undefined, private log = NO_LOG, private count = 0) {}

  /** Forgets every release, keeping the room made. */
  reset(): void {
    this.count = 0;
    if (this.what !== undefined) this.what.length = 0;
    if (this.indexed > 0) this.index!.clear();
    this.indexed = 0;
  }

  get full(): boolean {
    return this.count >= this.room;
  }

  /** Addresses released here. */
  get size(): number {
    this.catchUp();
    return this.index?.size ?? 0;
  }

  add(key: number, line: number, epoch: number, what: Released | undefined): void {
    if ((this.count + 1) * STRIDE > this.log.length) {
      const bigger = new Float64Array(Math.min(this.room, Math.max(FIRST_ROOM, this.count * 2)) * STRIDE);
      bigger.set(this.log);
      this.log = bigger;
    }
    if (this.what !== undefined) this.what[this.count] = what;
    const at = this.count++ * STRIDE;
    this.log[at + KEY] = key;
    this.log[at + LINE] = line;
    this.log[at + EPOCH] = epoch;
  }

  /** The newest release of `key` here. */
  get(key: number): Release | undefined {
    this.catchUp();
    const slot = this.index === undefined ? -1 : this.index.find(key);
    if (slot < 0) return undefined;
    const i = this.index!.get(slot, 0);
    const r: Release = { line: this.log[i * STRIDE + LINE], epoch: this.log[i * STRIDE + EPOCH] };
    if (this.what !== undefined) r.what = this.what[i];
    return r;
  }

  /** A copy that later releases on either side do not change (its index is built again when asked). */
  clone(): Generation {
    return new Generation(this.room, this.what?.slice(0, this.count), this.count === 0 ? NO_LOG : this.log.slice(0, this.count * STRIDE), this.count);
  }

  /** Indexes the releases logged since the last question, in order, so that the newest of an address wins. */
  private catchUp(): void {
    if (this.indexed >= this.count) return;
    const index = (this.index ??= new AddressTable(1));
    for (; this.indexed < this.count; this.indexed++) index.put(index.claim(this.log[this.indexed * STRIDE + KEY]), 0, this.indexed);
  }
}

export class ReleaseLog {
  private young: Generation;
  private old: Generation;
  /** Whether a copy shares `old`: then it cannot be emptied for reuse as the next young generation. */
  private oldShared = false;

  /** Remembers at least the newest `capacity / 2` releases and never more than `capacity` (at least 2), and what each released if `keepWhat`. */
  constructor(private readonly capacity: number, private readonly keepWhat = false) {
    this.young = this.generation();
    this.old = this.generation();
  }

  private generation(): Generation {
    return new Generation(this.share, this.keepWhat ? [] : undefined);
  }

  /** Releases per generation. */
  private get share(): number {
    return Math.max(1, this.capacity >> 1);
  }

  /** Addresses remembered (one released in both generations counts twice). */
  get size(): number {
    return this.young.size + this.old.size;
  }

  get(key: number): Release | undefined {
    return this.young.get(key) ?? this.old.get(key);
  }

  /** Records a release of `what`; keeps the numbers of `o`, not the object. */
  set(key: number, o: Release, what?: Released): void {
    if (this.young.full) {
      const old = this.old;
      this.old = this.young;
      if (this.oldShared) {
        this.young = this.generation();
      } else {
        this.young = old;
        old.reset();
      }
      this.oldShared = false;
    }
    this.young.add(key, o.line, o.epoch, what);
  }

  clone(): ReleaseLog {
    const c = new ReleaseLog(this.capacity, this.keepWhat);
    c.young = this.young.clone();
    c.old = this.old;
    c.oldShared = this.oldShared = true;
    return c;
  }
}
