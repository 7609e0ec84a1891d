// Interning in the module: ids for the distinct byte strings (device names, attrs) in the order first seen, in an
// open-addressing hash table over an arena of their bytes; JavaScript mirrors new ids into the batch's strings.
import { head, sameBytes } from './bytes';

/** The distinct strings' bytes, one after another. */
let arena: usize = heap.alloc(4096);
let arenaSize: u32 = 4096;
let arenaUsed: u32 = 0;
/** Per id: the string's offset in the arena, its length and its hash (three u32). */
let entries: usize = heap.alloc(64 * 12);
let entryRoom: u32 = 64;
let entryCount: u32 = 0;
/** Open addressing: per slot, id + 1 (0: empty). */
let slots: usize = heap.alloc(128 * 4);
let slotCount: u32 = 128;

/** A hash of b[from, to), eight bytes at a time. */
function hashOf(from: usize, to: usize): u32 {
  const n = to - from;
  let h: u64 = <u64>n;
  let i = from;
  for (; i + 8 <= to; i += 8) h = rotl<u64>((h ^ load<u64>(i)) * 0x9E3779B97F4A7C15, 31);
  if (i < to) h = rotl<u64>((h ^ head(i, to - i)) * 0x9E3779B97F4A7C15, 31);
  h *= 0xC2B2AE3D27D4EB4F;
  return <u32>(h ^ (h >> 32));
}

/** Per caller, the id it was given last: a line most often names the device and attrs the line before it named. */
export const LAST_DEVICE = 0;
export const LAST_ATTRS = 1;
const lastIds = memory.data(8);

/** The id of the bytes b[from, to). */
export function intern(from: usize, to: usize, caller: i32): i32 {
  const n = <u32>(to - from);
  const last = lastIds + (<usize>caller << 2);
  const was = load<u32>(last);
  if (was < entryCount) {
    const e = entries + <usize>was * 12;
    if (load<u32>(e, 4) == n && sameBytes(arena + <usize>load<u32>(e), from, <usize>n)) return <i32>was;
  }
  const id = lookUp(from, n);
  store<u32>(last, id);
  return id;
}

function lookUp(from: usize, n: u32): i32 {
  const to = from + <usize>n;
  const h = hashOf(from, to);
  const mask = slotCount - 1;
  let s = h & mask;
  for (;;) {
    const id = load<u32>(slots + (<usize>s << 2));
    if (id == 0) break;
    const e = entries + <usize>(id - 1) * 12;
    if (load<u32>(e, 8) == h && load<u32>(e, 4) == n && sameBytes(arena + <usize>load<u32>(e), from, <usize>n)) return <i32>(id - 1);
    s = (s + 1) & mask;
  }
  return add(from, n, h, s);
}

function add(from: usize, n: u32, h: u32, slot: u32): i32 {
  if (arenaUsed + n > arenaSize) {
    const size = max(arenaSize * 2, arenaUsed + n);
    arena = heap.realloc(arena, <usize>size + 8);
    arenaSize = size;
  }
  memory.copy(arena + <usize>arenaUsed, from, <usize>n);
  if (entryCount == entryRoom) {
    entryRoom *= 2;
    entries = heap.realloc(entries, <usize>entryRoom * 12);
  }
  const id = entryCount++;
  const e = entries + <usize>id * 12;
  store<u32>(e, arenaUsed);
  store<u32>(e, n, 4);
  store<u32>(e, h, 8);
  arenaUsed += n;
  store<u32>(slots + (<usize>slot << 2), id + 1);
  // At half full, twice the slots: probes stay short.
  if (entryCount * 2 > slotCount) rehash();
  return <i32>id;
}

function rehash(): void {
  heap.free(slots);
  slotCount *= 2;
  slots = heap.alloc(<usize>slotCount * 4);
  memory.fill(slots, 0, <usize>slotCount * 4);
  const mask = slotCount - 1;
  for (let id: u32 = 0; id < entryCount; id++) {
    let s = load<u32>(entries + <usize>id * 12, 8) & mask;
    while (load<u32>(slots + (<usize>s << 2)) != 0) s = (s + 1) & mask;
    store<u32>(slots + (<usize>s << 2), id + 1);
  }
}

/** Strings interned so far; ids are 0 to this minus one. */
export function stringCount(): i32 {
  return <i32>entryCount;
}

/** Where string `id`'s bytes lie. */
export function stringAt(id: i32): usize {
  return arena + <usize>load<u32>(entries + <usize>id * 12);
}

export function stringLength(id: i32): i32 {
  return <i32>load<u32>(entries + <usize>id * 12, 4);
}
