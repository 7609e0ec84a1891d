// Where the trace last released each of the newest addresses (for double unmaps and frees), kept as numbers in two
// generations of address tables: when the young one fills, it becomes the old one and the previous old one is
// emptied for reuse. A Map of Origin objects made every release outlive a few garbage collections, and a ring with
// an index cost several table probes per release; this costs one.
import { AddressTable } from './addressTable';
import type { Origin } from './mappings';

const LINE = 0, OFFSET = 1, TIMESTAMP = 2, CPU = 3, EPOCH = 4, WIDTH = 5;

export class ReleaseLog {
  private young = new AddressTable(WIDTH);
  private old = new AddressTable(WIDTH);

  /** Remembers at least the newest `capacity / 2` releases (one per address) and never more than `capacity` (at least 2). */
  constructor(private readonly capacity: number) {}

  /** Addresses remembered (one released in both generations counts twice). */
  get size(): number {
    return this.young.size + this.old.size;
  }

  get(key: number): Origin | undefined {
    let t = this.young;
    let slot = t.find(key);
    if (slot < 0) {
      t = this.old;
      slot = t.find(key);
      if (slot < 0) return undefined;
    }
    return { line: t.get(slot, LINE), offset: t.get(slot, OFFSET), timestamp: t.get(slot, TIMESTAMP), cpu: t.get(slot, CPU), epoch: t.get(slot, EPOCH) };
  }

  /** Records a release; keeps the numbers of `o`, not the object. */
  set(key: number, o: Origin): void {
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
    t.put(slot, OFFSET, o.offset);
    t.put(slot, TIMESTAMP, o.timestamp);
    t.put(slot, CPU, o.cpu);
    t.put(slot, EPOCH, o.epoch);
  }

  clone(): ReleaseLog {
    const c = new ReleaseLog(this.capacity);
    c.young = this.young.clone();
    c.old = this.old.clone();
    return c;
  }
}
