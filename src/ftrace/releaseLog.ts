// Where the trace last released each of the newest addresses (for double unmaps and frees), in two generations:
// when the young one has taken its share of releases, it becomes the old one and the previous old one is forgotten.
// A generation is a log of releases in the order made, indexed by address only when the checker asks about one:
// almost every release is of a live mapping and is never asked about, and putting each into a hash table as it
// came cost a probe of a table too large for the cache (13% of checking the common events). Only what the checks
// read is kept (the line a finding points to and the epoch that decides it): checkpoints of a debugged trace copy
// the young generation and share the old one, which no longer changes.
import { AddressTable } from './addressTable';

/** What is remembered of a release: its line, and how many `[LOST N EVENTS]` markers came before it. */
export interface Release {
  line: number;
  epoch: number;
}

/** Numbers per logged release: the address, the line, the epoch. */
const KEY = 0, LINE = 1, EPOCH = 2, STRIDE = 3;
const FIRST_ROOM = 16;

class Generation {
  /** Each address's newest release among the first `indexed` of the log, by its place in the log. */
  private readonly index = new AddressTable(1);
  private indexed = 0;

  /** Takes `room` releases; starts with `count` of them in `log` (a copy's). */
  constructor(private readonly room: number, private log = new Float64Array(Math.min(room, FIRST_ROOM) * STRIDE), private count = 0) {}

  /** Forgets every release, keeping the room made. */
  reset(): void {
    this.count = 0;
    if (this.indexed > 0) this.index.clear();
    this.indexed = 0;
  }

  get full(): boolean {
    return this.count >= this.room;
  }

  /** Addresses released here. */
  get size(): number {
    this.catchUp();
    return this.index.size;
  }

  add(key: number, line: number, epoch: number): void {
    if ((this.count + 1) * STRIDE > this.log.length) {
      const bigger = new Float64Array(Math.min(this.room, this.count * 2) * STRIDE);
      bigger.set(this.log);
      this.log = bigger;
    }
    const at = this.count++ * STRIDE;
    this.log[at + KEY] = key;
    this.log[at + LINE] = line;
    this.log[at + EPOCH] = epoch;
  }

  /** The newest release of `key` here. */
  get(key: number): Release | undefined {
    this.catchUp();
    const slot = this.index.find(key);
    if (slot < 0) return undefined;
    const at = this.index.get(slot, 0) * STRIDE;
    return { line: this.log[at + LINE], epoch: this.log[at + EPOCH] };
  }

  /** A copy that later releases on either side do not change (its index is built again when asked). */
  clone(): Generation {
    return new Generation(this.room, this.log.slice(0, Math.max(this.count, 1) * STRIDE), this.count);
  }

  /** Indexes the releases logged since the last question, in order, so that the newest of an address wins. */
  private catchUp(): void {
    for (; this.indexed < this.count; this.indexed++) this.index.put(this.index.claim(this.log[this.indexed * STRIDE + KEY]), 0, this.indexed);
  }
}

export class ReleaseLog {
  private young: Generation;
  private old: Generation;
  /** Whether a copy shares `old`: then it cannot be emptied for reuse as the next young generation. */
  private oldShared = false;

  /** Remembers at least the newest `capacity / 2` releases and never more than `capacity` (at least 2). */
  constructor(private readonly capacity: number) {
    this.young = new Generation(this.share);
    this.old = new Generation(this.share);
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

  /** Records a release; keeps the numbers of `o`, not the object. */
  set(key: number, o: Release): void {
    if (this.young.full) {
      const old = this.old;
      this.old = this.young;
      if (this.oldShared) {
        this.young = new Generation(this.share);
      } else {
        this.young = old;
        old.reset();
      }
      this.oldShared = false;
    }
    this.young.add(key, o.line, o.epoch);
  }

  clone(): ReleaseLog {
    const c = new ReleaseLog(this.capacity);
    c.young = this.young.clone();
    c.old = this.old;
    c.oldShared = this.oldShared = true;
    return c;
  }
}
