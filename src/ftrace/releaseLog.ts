// Where the trace last released each of the newest addresses (for double unmaps and frees), kept as numbers: a
// ring of the newest releases plus an open-addressing index by address. A Map of Origin objects made every release
// outlive a few garbage collections, which cost a capture of millions of unmaps more than all its other checks.
import type { Origin } from './mappings';

const FIRST_CAPACITY = 64;

/** Mixes an address (any double) into a table index. */
function hash(key: number): number {
  const lo = key >>> 0;
  const hi = Math.floor(key / 4294967296) >>> 0;
  const h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  return h ^ (h >>> 15);
}

/** An index twice as long as the ring at least, a power of two (so that a mask wraps a probe). */
function indexFor(slots: number): Int32Array {
  let n = 2;
  while (n < slots * 2) n *= 2;
  return new Int32Array(n);
}

function same(a: number, b: number): boolean {
  return a === b || (a !== a && b !== b);
}

export class ReleaseLog {
  /** Ring slot fields; `used` is 0 for a slot whose address was released again later (or never written). */
  private keys: Float64Array;
  private fields: Float64Array;
  private used: Uint8Array;
  /** Index by address: ring slot + 1, 0 for empty. */
  private index: Int32Array;
  private head = 0;
  private count = 0;

  /** Remembers the releases among the newest `capacity` (at least one per address among them). */
  constructor(private readonly capacity: number, slots = Math.min(FIRST_CAPACITY, capacity)) {
    this.keys = new Float64Array(slots);
    this.fields = new Float64Array(slots * 5);
    this.used = new Uint8Array(slots);
    this.index = indexFor(slots);
  }

  get size(): number {
    return this.count;
  }

  get(key: number): Origin | undefined {
    const at = this.find(key);
    if (at < 0) return undefined;
    const f = this.fields;
    const i = (this.index[at] - 1) * 5;
    return { line: f[i], offset: f[i + 1], timestamp: f[i + 2], cpu: f[i + 3], epoch: f[i + 4] };
  }

  set(key: number, o: Origin): void {
    const at = this.find(key);
    if (at >= 0) {
      this.used[this.index[at] - 1] = 0;
      this.count--;
      this.unindex(at);
    }
    if (this.head === this.keys.length) {
      if (this.keys.length < this.capacity) this.grow();
      else this.head = 0;
    }
    const slot = this.head++;
    if (this.used[slot]) {
      this.count--;
      this.unindex(this.find(this.keys[slot]));
    }
    this.keys[slot] = key;
    const i = slot * 5;
    const f = this.fields;
    f[i] = o.line;
    f[i + 1] = o.offset;
    f[i + 2] = o.timestamp;
    f[i + 3] = o.cpu;
    f[i + 4] = o.epoch;
    this.used[slot] = 1;
    this.count++;
    this.place(key, slot);
  }

  clone(): ReleaseLog {
    const c = new ReleaseLog(this.capacity, 1);
    c.keys = this.keys.slice();
    c.fields = this.fields.slice();
    c.used = this.used.slice();
    c.index = this.index.slice();
    c.head = this.head;
    c.count = this.count;
    return c;
  }

  /** The index position holding `key`, or -1. */
  private find(key: number): number {
    const mask = this.index.length - 1;
    for (let at = hash(key) & mask; ; at = (at + 1) & mask) {
      const s = this.index[at];
      if (s === 0) return -1;
      if (same(this.keys[s - 1], key)) return at;
    }
  }

  private place(key: number, slot: number): void {
    const mask = this.index.length - 1;
    let at = hash(key) & mask;
    while (this.index[at] !== 0) at = (at + 1) & mask;
    this.index[at] = slot + 1;
  }

  /** Empties index position `at`, moving later entries of its probe run back (linear probing needs no tombstones). */
  private unindex(at: number): void {
    const index = this.index;
    const mask = index.length - 1;
    index[at] = 0;
    for (let j = (at + 1) & mask; index[j] !== 0; j = (j + 1) & mask) {
      const home = hash(this.keys[index[j] - 1]) & mask;
      // Move entry j to the hole when its home is not cyclically within (hole, j].
      if (at <= j ? home <= at || home > j : home <= at && home > j) {
        index[at] = index[j];
        index[j] = 0;
        at = j;
      }
    }
  }

  /** Doubles the ring (up to `capacity`), keeping the live releases in order. */
  private grow(): void {
    const old = { keys: this.keys, fields: this.fields, used: this.used };
    const slots = Math.min(this.capacity, old.keys.length * 2);
    this.keys = new Float64Array(slots);
    this.fields = new Float64Array(slots * 5);
    this.used = new Uint8Array(slots);
    this.index = indexFor(slots);
    let n = 0;
    for (let s = 0; s < old.keys.length; s++) {
      if (!old.used[s]) continue;
      this.keys[n] = old.keys[s];
      this.fields.set(old.fields.subarray(s * 5, s * 5 + 5), n * 5);
      this.used[n] = 1;
      this.place(old.keys[s], n);
      n++;
    }
    this.head = n;
  }
}
