// An open-addressing hash table in the module's memory: keys are a double's bits (an address as the trace gives
// it: a whole number below 2^53), each entry holds the key and `width` doubles side by side, so that a lookup and what it reads share a cache
// line. Linear probing, at most half full, deletion by backward shift (as addressTable.ts). A free slot holds
// EMPTY, a NaN no address read from a trace can be. Grown tables are not given back (the module has no allocator
// that frees): what is lost is at most the size of the largest table, so memory follows the peak of live entries.
// A table grows only within the module's budget (budget.ts).

import { fits } from './budget';

const EMPTY: u64 = 0xffffffffffffffff;

/**
 * Mixes an address into a slot: its value's bits, not its double's (whose low half is zero for most addresses), by
 * Fibonacci hashing (the high half of the product mixes every bit of the value).
 */
@inline function hash(key: u64): u32 {
  return <u32>((<u64>reinterpret<f64>(key) * 0x9e3779b97f4a7c15) >> 32);
}

export class Table {
  entries: usize = 0;
  mask: u32 = 0;
  count: i32 = 0;
  /** Bytes per entry: the key and the fields. */
  readonly stride: usize;

  constructor(public width: i32, slots: u32 = 16) {
    this.stride = <usize>(width + 1) << 3;
    this.alloc(slots);
  }

  private alloc(slots: u32): void {
    this.entries = heap.alloc(<usize>slots * this.stride);
    for (let s: u32 = 0; s < slots; s++) store<u64>(this.entries + <usize>s * this.stride, EMPTY);
    this.mask = slots - 1;
  }

  @inline private at(slot: u32): usize {
    return this.entries + <usize>slot * this.stride;
  }

  /**
   * Where `key` is: its slot, or (not there) the complement (~slot, negative) of the free slot it would take. Valid
   * until the next claim or removal.
   */
  @inline private probe(key: u64): i32 {
    const entries = this.entries, stride = this.stride, mask = this.mask;
    for (let s = hash(key) & mask; ; s = (s + 1) & mask) {
      const k = load<u64>(entries + <usize>s * stride);
      if (k == key) return <i32>s;
      if (k == EMPTY) return ~<i32>s;
    }
    // Not reached: the table is never full. (AssemblyScript wants a return after the loop.)
    return -1;
  }

  /** The slot of `key`, or -1; valid until the next claim or removal. */
  @inline find(key: u64): i32 {
    const s = this.probe(key);
    return s >= 0 ? s : -1;
  }

  /** The slot of `key`, added if it was not there (its fields are then stale: the caller sets them); -1 if no room. */
  claim(key: u64): i32 {
    if (!this.roomForOne()) return -1;
    const s = this.probe(key);
    return s >= 0 ? s : this.take(~s, key);
  }

  /** The slot of `key`, added now (fields stale), or -1 if it was there already or there is no room. */
  insert(key: u64): i32 {
    if (!this.roomForOne()) return -1;
    const s = this.probe(key);
    return s >= 0 ? -1 : this.take(~s, key);
  }

  @inline private take(slot: i32, key: u64): i32 {
    store<u64>(this.at(slot), key);
    this.count++;
    return slot;
  }

  @inline key(slot: i32): u64 {
    return load<u64>(this.at(slot));
  }

  @inline get(slot: i32, f: i32): f64 {
    return load<f64>(this.at(slot) + (<usize>(f + 1) << 3));
  }

  @inline put(slot: i32, f: i32, v: f64): void {
    store<f64>(this.at(slot) + (<usize>(f + 1) << 3), v);
  }

  /** An origin's fields (line, offset, timestamp, cpu, epoch: mappings.ts's order) from field `f` on. */
  @inline putOrigin(slot: i32, f: i32, line: f64, offset: f64, time: f64, cpu: f64, epoch: f64): void {
    const at = this.at(slot) + (<usize>(f + 1) << 3);
    store<f64>(at, line);
    store<f64>(at, offset, 8);
    store<f64>(at, time, 16);
    store<f64>(at, cpu, 24);
    store<f64>(at, epoch, 32);
  }

  @inline isUsed(slot: i32): bool {
    return load<u64>(this.at(slot)) != EMPTY;
  }

  @inline get room(): i32 {
    return <i32>(this.mask + 1);
  }

  remove(slot: i32): void {
    const mask = this.mask;
    let hole = <u32>slot;
    this.count--;
    for (let j = (hole + 1) & mask; ; j = (j + 1) & mask) {
      const k = load<u64>(this.at(j));
      if (k == EMPTY) break;
      const home = hash(k) & mask;
      // The entry at j may move into the hole unless its home lies cyclically in (hole, j].
      if (hole <= j ? home <= hole || home > j : home <= hole && home > j) {
        memory.copy(this.at(hole), this.at(j), this.stride);
        hole = j;
      }
    }
    store<u64>(this.at(hole), EMPTY);
  }

  /** Grows the table, if one more entry would make it over half full: false if the budget has no room for that. */
  @inline private roomForOne(): bool {
    if ((this.count + 1) * 2 <= <i32>(this.mask + 1)) return true;
    const slots = (this.mask + 1) * 2;
    if (!fits(<usize>slots * this.stride)) return false;
    this.resize(slots);
    return true;
  }

  private resize(slots: u32): void {
    const old = this.entries, oldSlots = this.mask + 1, stride = this.stride;
    this.alloc(slots);
    const mask = this.mask;
    for (let s: u32 = 0; s < oldSlots; s++) {
      const from = old + <usize>s * stride;
      const k = load<u64>(from);
      if (k == EMPTY) continue;
      let to = hash(k) & mask;
      while (load<u64>(this.at(to)) != EMPTY) to = (to + 1) & mask;
      memory.copy(this.at(to), from, stride);
    }
  }
}
