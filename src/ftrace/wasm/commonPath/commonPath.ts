// The checker's common path, compiled to WebAssembly (see ../../commonPath.ts for the JavaScript side): single maps,
// unmaps and syncs that meet a live mapping exactly as mapped, and IOMMU maps and unmaps, which are almost every
// event of a capture and none of whose checks find anything. It holds the state those events change (each device's
// live single mappings, the device-writable cache lines, its released addresses, the IOMMU mappings, the running
// figures) and decides nothing else: it stops at the first record it cannot take as it would pass a check with
// nothing to report, and `TraceChecker` takes over the whole state there and checks the rest.
// This file is the module's entry: its exports are the module's.
import { FIRST_SYNC, FIRST_UNMAP, IOMMU_MAP, IOMMU_UNMAP, R_ADDR, R_ATTRS_DIR, R_CODE, R_CPU, R_DEVICE, R_LINE, R_OFFSET, R_OTHER, R_SIZE, R_TIME, SLOW, STRIDE } from '../../recordLayout';
import { fits } from './budget';
import { Table } from './table';

const TO_DEVICE = 0, BIDIRECTIONAL = 2;
/** 2^53: the addresses from here up (DMA_MAPPING_ERROR, read as 2^64, among them) are not taken here. */
const EXACT: f64 = 9007199254740992.0;
/**
 * Releases a device remembers (deviceState.ts: MEMORY_PER_DEVICE, which the host checks this against), in two
 * generations of half as many (releaseLog.ts).
 */
export const RELEASES: i32 = 16384;
const GENERATION: i32 = RELEASES >> 1;
const CODES: i32 = IOMMU_UNMAP + 1;

/** Why `run` stopped before a record: the host handles it and carries on, or (`UNCHECKED`) takes over the checking. */
export const SLOW_LINE = 1, NEW_DEVICE = 2, NEW_CODE = 3, UNCHECKED = 4;

// A live single mapping: the fields `LiveSegments.addSingle` keeps, its origin's five (`putOrigin`) from M_LINE on.
const M_SIZE = 0, M_PHYS = 1, M_DIR = 2, M_ATTRS = 3, M_ID = 4, M_LINE = 5, M_TIME = M_LINE + 2, M_WIDTH = M_LINE + 5;
// An IOMMU mapping: paddr, size and its origin's five from I_LINE on (iommuState.ts).
const I_PADDR = 0, I_SIZE = 1, I_LINE = 2, I_WIDTH = I_LINE + 5;

@inline function bits(x: f64): u64 {
  return reinterpret<u64>(x);
}

class Device {
  live: Table = new Table(M_WIDTH);
  maps: f64 = 0;
  unmaps: f64 = 0;
  syncs: f64 = 0;
  bytes: f64 = 0;
  peakLive: f64 = 0;
  hasLongest: bool = false;
  longestLine: f64 = 0;
  longestDma: f64 = 0;
  longestSize: f64 = 0;
  longestSeconds: f64 = 0;
  /** Releases as address, line, epoch, in a ring that grows to RELEASES; `released` counts them all. */
  ring: usize = 0;
  ringRoom: i32 = 0;
  released: i64 = 0;

  /** Makes room for one more release, if the budget allows. */
  @inline roomForRelease(): bool {
    if (this.released < <i64>this.ringRoom || this.ringRoom == RELEASES) return true;
    // Not wrapped yet: the entries keep their places in a ring twice the size.
    const room = max(16, this.ringRoom * 2);
    if (!fits(<usize>room * 24)) return false;
    const ring = heap.alloc(<usize>room * 24);
    if (this.ringRoom > 0) memory.copy(ring, this.ring, <usize>this.ringRoom * 24);
    this.ring = ring;
    this.ringRoom = room;
    return true;
  }

  /** Logs a release (`roomForRelease` made room for it). */
  @inline release(dma: f64, line: f64, epoch: f64): void {
    const n = this.released;
    const at = this.ring + <usize>(n & <i64>(this.ringRoom - 1)) * 24;
    store<f64>(at, dma);
    store<f64>(at, line, 8);
    store<f64>(at, epoch, 16);
    this.released = n + 1;
  }
}

const devices = new Array<Device>();
/** Per string id (the host's table of device names and attrs): its device + 1 (a pointer), 0 while it names none. */
let deviceOf: usize = 0;
let deviceOfRoom: i32 = 0;
/** Memory the host writes into, grown (never shrunk) to what it asks for. */
class Room {
  at: usize = 0;
  bytes: usize = 0;

  /** Where `bytes` fit (what was written before is not kept). */
  need(bytes: usize): usize {
    if (bytes > this.bytes) {
      this.bytes = max(bytes, this.bytes * 2);
      this.at = heap.alloc(this.bytes);
    }
    return this.at;
  }
}
/** The loaded batch's records, and its string ids (its reader's) as the host's string ids. */
const records = new Room();
const ids = new Room();
let recordsAt: usize = 0;
let idsAt: usize = 0;
let cachelines = new Table(0);
const iommu = new Table(I_WIDTH);
let iommuMapsCount: f64 = 0, iommuUnmapsCount: f64 = 0, iommuPeak: f64 = 0;
const codeCounts = new StaticArray<f64>(CODES);
const codeSeen = new StaticArray<bool>(CODES);

/** How many `[LOST N EVENTS]` markers the host has read: the epoch of every origin kept. */
let epoch: f64 = 0;
/** The mapping id the next map takes (TraceChecker's, which it hands over). */
let nextId: f64 = 1;
let lineSize: f64 = 64;
/** 1 / lineSize when that is exact (a power of two): a product costs less than a quotient. */
let lineScale: f64 = 0;
let stopReason = 0;
let lineBase: f64 = 0;

export { setBudget } from './budget';

export function setUp(firstId: f64, cacheLine: f64): void {
  nextId = firstId;
  lineSize = cacheLine;
  const scale = 1 / cacheLine;
  lineScale = 1 / scale == cacheLine && (reinterpret<u64>(scale) & 0xfffffffffffff) == 0 ? scale : 0;
}

export function setEpoch(e: f64): void {
  epoch = e;
}

/** The loaded batch's `lineBase`: lines before those its records number. */
export function setLineBase(base: f64): void {
  lineBase = base;
}

export function reason(): i32 {
  return stopReason;
}

/** Room for `count` records and `ids` string ids; returns where the records go (the ids at `stringIdsAt`). */
export function reserve(count: i32, idCount: i32): usize {
  recordsAt = records.need(<usize>count * STRIDE << 3);
  idsAt = ids.need(<usize>idCount << 2);
  return recordsAt;
}

export function stringIdsAt(): usize {
  return idsAt;
}

/** What a device takes before it has any state: itself and its empty table. */
const DEVICE_BYTES: usize = 2048;

/** String `id` names device `index`; false (nothing changed) if the budget has no room for it. */
export function nameDevice(id: i32, index: i32): bool {
  const more = max(0, index + 1 - devices.length);
  if (!fits(<usize>more * DEVICE_BYTES + (id >= deviceOfRoom ? <usize>max(id + 1, deviceOfRoom * 2) << 2 : 0))) return false;
  if (id >= deviceOfRoom) {
    const room = max(id + 1, deviceOfRoom * 2);
    const grown = heap.alloc(<usize>room << 2);
    memory.fill(grown, 0, <usize>room << 2);
    if (deviceOfRoom > 0) memory.copy(grown, deviceOf, <usize>deviceOfRoom << 2);
    deviceOf = grown;
    deviceOfRoom = room;
  }
  while (devices.length <= index) devices.push(new Device());
  store<u32>(deviceOf + (<usize>id << 2), changetype<u32>(unchecked(devices[index])));
  return true;
}

export function markSeen(code: i32): void {
  unchecked(codeSeen[code] = true);
}

/** The events of code `code` checked here. */
export function checked(code: i32): f64 {
  return unchecked(codeCounts[code]);
}

/**
 * Checks records [from, count) of those at `reserve`'s place; returns the first one it stopped before (`reason`
 * says why), or `count`.
 */
export function run(from: i32, count: i32): i32 {
  const strings = idsAt;
  for (let i = from; i < count; i++) {
    const p = recordsAt + (<usize>i * STRIDE << 3);
    const code = <i32>load<f64>(p, R_CODE << 3);
    if (code == SLOW) return stop(i, SLOW_LINE);
    if (!unchecked(codeSeen[code])) return stop(i, NEW_CODE);
    let d: Device | null = null;
    let attrsDir = 0;
    if (code < IOMMU_MAP) {
      const id = load<i32>(strings + (<usize>(<i32>load<f64>(p, R_DEVICE << 3)) << 2));
      const ptr = id < deviceOfRoom ? load<u32>(deviceOf + (<usize>id << 2)) : 0;
      if (ptr == 0) return stop(i, NEW_DEVICE);
      d = changetype<Device>(ptr);
      attrsDir = <i32>load<f64>(p, R_ATTRS_DIR << 3);
    }
    const ok = check(code, p, lineBase, d, load<i32>(strings + (<usize>(attrsDir >>> 2) << 2)), attrsDir & 3);
    if (!ok) return stop(i, UNCHECKED);
    unchecked(codeCounts[code] += 1);
  }
  return count;
}

@inline function stop(i: i32, why: i32): i32 {
  stopReason = why;
  return i;
}

/** A record for `apply` to fill. */
const scratch = heap.alloc(STRIDE << 3);

/**
 * Applies one event of code `code` (a fast-path code) at its origin; false, with nothing changed, if it is not one
 * this module decides. `device` is a device index, `attrs` a string id, `dir` a direction's index.
 */
export function apply(code: i32, line: f64, offset: f64, time: f64, cpu: f64, a: f64, size: f64, other: f64, device: i32, attrs: i32, dir: i32): bool {
  store<f64>(scratch, line, R_LINE << 3);
  store<f64>(scratch, offset, R_OFFSET << 3);
  store<f64>(scratch, time, R_TIME << 3);
  store<f64>(scratch, cpu, R_CPU << 3);
  store<f64>(scratch, a, R_ADDR << 3);
  store<f64>(scratch, size, R_SIZE << 3);
  store<f64>(scratch, other, R_OTHER << 3);
  return check(code, scratch, 0, code < IOMMU_MAP ? unchecked(devices[device]) : null, attrs, dir);
}

/** Checks the event of code `code` whose record is at `p` (its line counted from `base`), of device `d`. */
@inline function check(code: i32, p: usize, base: f64, d: Device | null, attrs: i32, dir: i32): bool {
  const a = load<f64>(p, R_ADDR << 3), size = load<f64>(p, R_SIZE << 3);
  // DMA_MAPPING_ERROR (2^64), or no address a trace reads (NaN, negative, inexact): the checker's to judge.
  if (!(a >= 0 && a < EXACT)) return false;
  if (code == IOMMU_MAP) {
    return iommuMap(a, load<f64>(p, R_OTHER << 3), size, base + load<f64>(p, R_LINE << 3), load<f64>(p, R_OFFSET << 3), load<f64>(p, R_TIME << 3), load<f64>(p, R_CPU << 3));
  }
  if (code == IOMMU_UNMAP) {
    iommuUnmap(a, size);
    return true;
  }
  if (code >= FIRST_SYNC) return sync(d!, dir, a, size);
  if (code >= FIRST_UNMAP) return unmap(d!, dir, a, size, base + load<f64>(p, R_LINE << 3), load<f64>(p, R_TIME << 3));
  return map(d!, dir, a, size, load<f64>(p, R_OTHER << 3), attrs, base + load<f64>(p, R_LINE << 3), load<f64>(p, R_OFFSET << 3), load<f64>(p, R_TIME << 3), load<f64>(p, R_CPU << 3));
}

/** The cache line of physical address `phys`, as a key. */
@inline function lineOf(phys: f64): u64 {
  return bits(Math.floor(lineScale != 0 ? phys * lineScale : phys / lineSize));
}

/** A map that reuses no live dma address and, device-writable, no held cache line (TraceChecker.map's first case). */
function map(d: Device, dir: i32, dma: f64, size: f64, phys: f64, attrs: i32, line: f64, offset: f64, time: f64, cpu: f64): bool {
  if (!(phys >= 0 && phys < EXACT)) return false;
  const t = d.live;
  const s = t.insert(bits(dma));
  if (s < 0) return false;
  if (dir != TO_DEVICE && cachelines.insert(lineOf(phys)) < 0) {
    t.remove(s);
    return false;
  }
  t.put(s, M_SIZE, size);
  t.put(s, M_PHYS, phys);
  t.put(s, M_DIR, dir);
  t.put(s, M_ATTRS, attrs);
  t.put(s, M_ID, nextId);
  nextId += 1;
  t.putOrigin(s, M_LINE, line, offset, time, cpu, epoch);
  d.maps += 1;
  d.bytes += size;
  if (<f64>t.count > d.peakLive) d.peakLive = t.count;
  return true;
}

/** An unmap of a live mapping with its size and direction (TraceChecker.unmap's first case). */
function unmap(d: Device, dir: i32, dma: f64, size: f64, line: f64, time: f64): bool {
  const t = d.live;
  const slot = t.find(bits(dma));
  if (slot < 0 || t.get(slot, M_SIZE) != size || <i32>t.get(slot, M_DIR) != dir || !d.roomForRelease()) return false;
  if (dir != TO_DEVICE) {
    // The mapping holds its line alone: a map into a held line is not taken here.
    const held = cachelines.find(lineOf(t.get(slot, M_PHYS)));
    if (held >= 0) cachelines.remove(held);
  }
  d.unmaps += 1;
  const seconds = time - t.get(slot, M_TIME);
  if (!d.hasLongest || seconds > d.longestSeconds) {
    d.hasLongest = true;
    d.longestLine = t.get(slot, M_LINE);
    d.longestDma = dma;
    d.longestSize = size;
    d.longestSeconds = jsRound(seconds * 1e6) / 1e6;
  }
  t.remove(slot);
  d.release(dma, line, epoch);
  return true;
}

/** A sync from the start of a live mapping, within it, in a direction it allows (TraceChecker.onSync's first case). */
function sync(d: Device, dir: i32, dma: f64, size: f64): bool {
  const t = d.live;
  const slot = t.find(bits(dma));
  if (slot < 0 || !(size <= t.get(slot, M_SIZE))) return false;
  const mapped = <i32>t.get(slot, M_DIR);
  if (mapped != BIDIRECTIONAL && mapped != dir) return false;
  d.syncs += 1;
  return true;
}

/** JavaScript's Math.round: halves go up, and what rounds to zero keeps the sign of `x` (-0.25 gives -0). */
@inline function jsRound(x: f64): f64 {
  const f = Math.floor(x);
  const r = x - f >= 0.5 ? f + 1 : f;
  return r == 0 ? copysign<f64>(0, x) : r;
}

function iommuMap(iova: f64, paddr: f64, size: f64, line: f64, offset: f64, time: f64, cpu: f64): bool {
  const s = iommu.claim(bits(iova));
  if (s < 0) return false;
  iommu.put(s, I_PADDR, paddr);
  iommu.put(s, I_SIZE, size);
  iommu.putOrigin(s, I_LINE, line, offset, time, cpu, epoch);
  iommuMapsCount += 1;
  if (<f64>iommu.count > iommuPeak) iommuPeak = iommu.count;
  return true;
}

/** Removes the mappings laid end to end from `iova` within `size` bytes (IommuState.unmap). */
function iommuUnmap(iova: f64, size: f64): void {
  iommuUnmapsCount += 1;
  for (let at = iova; at < iova + size; ) {
    const slot = iommu.find(bits(at));
    if (slot < 0) break;
    const mapped = iommu.get(slot, I_SIZE);
    iommu.remove(slot);
    at += mapped;
  }
}

/** Whether device `device` has a live mapping at `dma` (a free of it is checked by the host, which takes over). */
export function holds(device: i32, dma: f64): bool {
  return device < devices.length && unchecked(devices[device]).live.find(bits(dma)) >= 0;
}

// ---- The hand-over: the state as numbers, for the host to rebuild it.

export function deviceCount(): i32 {
  return devices.length;
}

/** A running figure of device `index`: maps, unmaps, syncs, bytes, peak live, live, then the longest-lived mapping (has one, line, dma, size, seconds). */
export function figure(index: i32, what: i32): f64 {
  const d = unchecked(devices[index]);
  switch (what) {
    case 0: return d.maps;
    case 1: return d.unmaps;
    case 2: return d.syncs;
    case 3: return d.bytes;
    case 4: return d.peakLive;
    case 5: return d.live.count;
    case 6: return d.hasLongest ? 1 : 0;
    case 7: return d.longestLine;
    case 8: return d.longestDma;
    case 9: return d.longestSize;
    case 10: return d.longestSeconds;
  }
  return 0;
}

export function iommuFigure(what: i32): f64 {
  return what == 0 ? iommuMapsCount : what == 1 ? iommuUnmapsCount : iommuPeak;
}

export function lastId(): f64 {
  return nextId;
}

/** Writes device `index`'s live mappings (dma, then the M_ fields) somewhere; returns where (`dumped` counts them). */
export function dumpLive(index: i32): usize {
  return dump(unchecked(devices[index]).live);
}

/** Writes the IOMMU mappings (iova, then the I_ fields); returns where. */
export function dumpIommu(): usize {
  return dump(iommu);
}

let dumpedCount = 0;

export function dumped(): i32 {
  return dumpedCount;
}

function dump(t: Table): usize {
  const width = t.width + 1;
  const out = heap.alloc(max<usize>(8, <usize>t.count * width << 3));
  let n = 0;
  for (let s = 0; s < t.room; s++) {
    if (!t.isUsed(s)) continue;
    const at = out + (<usize>n * width << 3);
    store<u64>(at, t.key(s));
    for (let f = 0; f < t.width; f++) store<f64>(at + (<usize>(f + 1) << 3), t.get(s, f));
    n++;
  }
  dumpedCount = n;
  return out;
}

/**
 * Writes the releases device `index` still remembers (address, line, epoch), oldest first, as `ReleaseLog` holds
 * them: the young generation and, once one has filled, the old; replayed into a new log in this order, they leave it
 * as it would be. Returns where (`dumped` counts them).
 */
export function dumpReleases(index: i32): usize {
  const d = unchecked(devices[index]);
  const n = d.released;
  const young = n == 0 ? 0 : (n - 1) % GENERATION + 1;
  const first = n - young - (n > <i64>GENERATION ? GENERATION : 0);
  const out = heap.alloc(max<usize>(8, <usize>(n - first) * 24));
  for (let k = first; k < n; k++) memory.copy(out + <usize>(k - first) * 24, d.ring + <usize>(k & <i64>(d.ringRoom - 1)) * 24, 24);
  dumpedCount = <i32>(n - first);
  return out;
}
