// A hash table from addresses (any double, NaN included) to a fixed number of numeric fields in typed arrays, and
// an object each if wanted: a capture's live addresses come and go by the hundred thousand, and a Map keyed by them
// (addresses past 2^31 are heap numbers) cost more than all the checks made on them.

/** Mixes an address into a table index (both 32-bit halves count: IOVAs differ in the low bits, phys in the high). */
function hashAddress(key: number): number {
  const lo = key >>> 0;
  // ToUint32 truncates: the high half without a floor, and 2^-32 is exact, so no division either.
  const hi = (key * 2.3283064365386963e-10) >>> 0;
  const h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  return h ^ (h >>> 15);
}

function sameAddress(a: number, b: number): boolean {
  return a === b || (a !== a && b !== b);
}

const FIRST_SLOTS = 16;
const SHRINK_ABOVE = 1024;

export class AddressTable<V = undefined> {
  private keys: Float64Array;
  private fields: Float64Array;
  /** Made by the first `setObject`: tables of numbers only (released addresses, IOVAs) need none. */
  private objects: (V | undefined)[] | undefined;
  private full: Uint8Array;
  private count = 0;

  /** A table whose entries hold `width` numbers and an object each, with room for `slots` (a power of two). */
  constructor(readonly width: number, slots = FIRST_SLOTS) {
    this.keys = new Float64Array(slots);
    this.fields = new Float64Array(slots * width);
    this.full = new Uint8Array(slots);
  }

  get size(): number {
    return this.count;
  }

  /** Slots, used or free: what a walk over the table costs. */
  get room(): number {
    return this.keys.length;
  }

  /** The slot holding `key`, or -1. A slot is valid until the next `claim` or `remove`. */
  find(key: number): number {
    const mask = this.keys.length - 1;
    for (let at = hashAddress(key) & mask; ; at = (at + 1) & mask) {
      if (this.full[at] === 0) return -1;
      if (sameAddress(this.keys[at], key)) return at;
    }
  }

  /** The slot of `key`, added if it was not there (then its fields are stale: the caller sets them). */
  claim(key: number): number {
    // At most half full: linear probes stay short. (Growing before the search is harmless if the key is there.)
    if ((this.count + 1) * 2 > this.keys.length) this.resize(this.keys.length * 2);
    // One probe: without tombstones, the first free slot of the key's run is where it goes if it is not in the run.
    const mask = this.keys.length - 1;
    let at = hashAddress(key) & mask;
    for (; this.full[at] !== 0; at = (at + 1) & mask) if (sameAddress(this.keys[at], key)) return at;
    this.full[at] = 1;
    this.keys[at] = key;
    this.count++;
    return at;
  }

  key(slot: number): number {
    return this.keys[slot];
  }

  get(slot: number, field: number): number {
    return this.fields[slot * this.width + field];
  }

  put(slot: number, field: number, value: number): void {
    this.fields[slot * this.width + field] = value;
  }

  object(slot: number): V | undefined {
    return this.objects === undefined ? undefined : this.objects[slot];
  }

  setObject(slot: number, value: V | undefined): void {
    this.objects ??= new Array<V | undefined>(this.keys.length).fill(undefined);
    this.objects[slot] = value;
  }

  /** Empties `slot`, moving later entries of its probe run back (linear probing needs no tombstones). */
  remove(slot: number): void {
    const { keys, full, fields, objects, width } = this;
    const mask = keys.length - 1;
    let hole = slot;
    full[hole] = 0;
    if (objects !== undefined) objects[hole] = undefined;
    this.count--;
    for (let j = (hole + 1) & mask; full[j] !== 0; j = (j + 1) & mask) {
      const home = hashAddress(keys[j]) & mask;
      // Entry j may fill the hole when its home is not cyclically within (hole, j].
      if (hole <= j ? home <= hole || home > j : home <= hole && home > j) {
        keys[hole] = keys[j];
        // A loop: copyWithin's call costs more than a few fields.
        for (let f = 0; f < width; f++) fields[hole * width + f] = fields[j * width + f];
        if (objects !== undefined) {
          objects[hole] = objects[j];
          objects[j] = undefined;
        }
        full[hole] = 1;
        full[j] = 0;
        hole = j;
      }
    }
    // After a burst, a table mostly empty would make every walk over it (a debugger's view, a sync inside a
    // mapping) cost its peak. Small tables keep their room: the live count of a busy device swings by hundreds.
    if (keys.length > SHRINK_ABOVE && this.count * 16 < keys.length) this.resize(keys.length / 2);
  }

  /** Forgets every entry, keeping the room. */
  clear(): void {
    this.full.fill(0);
    this.objects?.fill(undefined);
    this.count = 0;
  }

  /** The occupied slots, in table order. */
  *slots(): IterableIterator<number> {
    for (let s = 0; s < this.keys.length; s++) if (this.full[s] !== 0) yield s;
  }

  clone(): AddressTable<V> {
    const c = new AddressTable<V>(this.width, 1);
    c.keys = this.keys.slice();
    c.fields = this.fields.slice();
    c.objects = this.objects?.slice();
    c.full = this.full.slice();
    c.count = this.count;
    return c;
  }

  /** Moves the entries to a table of `slots`, each straight to its new slot (a claim per entry cost a search each). */
  private resize(slots: number): void {
    const { keys, fields, objects, full, width } = this;
    const mask = slots - 1;
    this.keys = new Float64Array(slots);
    this.fields = new Float64Array(slots * width);
    this.objects = objects && new Array<V | undefined>(slots).fill(undefined);
    this.full = new Uint8Array(slots);
    for (let s = 0; s < keys.length; s++) {
      if (full[s] === 0) continue;
      let at = hashAddress(keys[s]) & mask;
      while (this.full[at] !== 0) at = (at + 1) & mask;
      this.full[at] = 1;
      this.keys[at] = keys[s];
      for (let f = 0; f < width; f++) this.fields[at * width + f] = fields[s * width + f];
      if (this.objects !== undefined && objects !== undefined) this.objects[at] = objects[s];
    }
  }
}

/**
 * The slot of `t` whose range holds `addr`: of the ranges holding all of [addr, addr + len) the one starting nearest
 * below `addr` (as dma-debug's containing match finds a sync's mapping), else of those holding its first byte. A
 * range starts at its key, or at field `startField` when given, and spans field `sizeField`. -1: none. The ranges of
 * live mappings may overlap, and the pick must not follow the table's history.
 */
export function slotHolding(t: AddressTable<unknown>, addr: number, len: number, sizeField: number, startField = -1): number {
  let best = -1;
  let bestStart = -Infinity;
  let bestWhole = false;
  for (const s of t.slots()) {
    const start = startField < 0 ? t.key(s) : t.get(s, startField);
    const end = start + t.get(s, sizeField);
    if (addr < start || addr >= end) continue;
    const whole = addr + len <= end;
    // Ties (two starting at one physical address) go to the higher key: no pick may follow the table's order.
    if (best < 0 || (whole && !bestWhole) || (whole === bestWhole && (start > bestStart || (start === bestStart && t.key(s) > t.key(best))))) {
      best = s;
      bestStart = start;
      bestWhole = whole;
    }
  }
  return best;
}
