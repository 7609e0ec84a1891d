// Where the trace last released each of the newest addresses (for double unmaps and frees), kept as numbers in two
// generations of address tables: when the young one fills, it becomes the old one and the previous old one is
// emptied for reuse. A Map of Origin objects made every release outlive a few garbage collections, and a ring with
// an index cost several table probes per release; this costs one. Only what the checks read is kept (the line a
// finding points to and the epoch that decides it): checkpoints of a debugged trace copy these tables.
import { AddressTable } from './addressTable';

const LINE = 0, EPOCH = 1, WIDTH = 2;

/** What is remembered of a release: its line, and how many `[LOST N EVENTS]` markers came before it. */
export interface Release {
  line: number;
  epoch: number;
}

export class ReleaseLog {
  private young = new AddressTable(WIDTH);
  private old = new AddressTable(WIDTH);

  /** Remembers at least the newest `capacity / 2` releases (one per address) and never more than `capacity` (at least 2). */
  constructor(private readonly capacity: number) {}

  /** Addresses remembered (one released in both generations counts twice). */
  get size(): number {
    return this.young.size + this.old.size;
  }

  get(key: number): Release | undefined {
    let t = this.young;
    let slot = t.find(key);
    if (slot < 0) {
      t = this.old;
      slot = t.find(key);
      if (slot < 0) return undefined;
    }
    return { line: t.get(slot, LINE), epoch: t.get(slot, EPOCH) };
  }

  /** Records a release; keeps the numbers of `o`, not the object. */
  set(key: number, o: Release): void {
    let t = this.young;
    if (t.size >= Math.max(1, this.capacity >> 1)) {
      // The young generation is full: it becomes the old one, and the old one, emptied, the young.
      this.young = this.old;
      this.old = t;
      t = this.young;
      t.clear();
    }
    const slot = t.claim(key);
    t.put(slot, LINE, o.line);
    t.put(slot, EPOCH, o.epoch);
  }

  clone(): ReleaseLog {
    const c = new ReleaseLog(this.capacity);
    c.young = this.young.clone();
    c.old = this.old.clone();
    return c;
  }
}
