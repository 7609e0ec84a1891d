// The checks the module makes, each as `TraceChecker` makes it in its first case (the one with nothing to report),
// and the state they change beside the devices': the held cache lines, the IOMMU mappings, the epoch and the next
// mapping id. Each returns false, having changed nothing, for an event it does not decide.
import { EXACT } from '../../recordLayout';
import { BIDIRECTIONAL, I_LINE, I_PADDR, I_SIZE, I_WIDTH, M_ATTRS, M_DIR, M_ID, M_LINE, M_PHYS, M_SIZE, M_TIME, TO_DEVICE } from '../../commonPathLayout';
import { Device } from './device';
import { Table } from './table';

/** Device-writable cache lines held (by their first live mapping, which the module's rule makes the only one). */
const cachelines = new Table(0);
export const iommu = new Table(I_WIDTH);
export let iommuMapsCount: f64 = 0, iommuUnmapsCount: f64 = 0, iommuPeak: f64 = 0;
/** How many `[LOST N EVENTS]` markers the host has read: the epoch of every origin kept. */
export let epoch: f64 = 0;
/** The mapping id the next map takes (TraceChecker's, which it hands over). */
export let nextId: f64 = 1;
let lineSize: f64 = 64;
/** 1 / lineSize when that is exact (a power of two): a product costs less than a quotient. */
let lineScale: f64 = 0;

export function setUp(firstId: f64, cacheLine: f64): void {
  nextId = firstId;
  lineSize = cacheLine;
  const scale = 1 / cacheLine;
  lineScale = 1 / scale == cacheLine && (reinterpret<u64>(scale) & 0xfffffffffffff) == 0 ? scale : 0;
}

export function setEpoch(e: f64): void {
  epoch = e;
}

@inline export function bits(x: f64): u64 {
  return reinterpret<u64>(x);
}

/** The cache line of physical address `phys`, as a key. */
@inline function lineOf(phys: f64): u64 {
  return bits(Math.floor(lineScale != 0 ? phys * lineScale : phys / lineSize));
}

/** A map that reuses no live dma address and, device-writable, no held cache line (TraceChecker.map's first case). */
export function map(d: Device, dir: i32, dma: f64, size: f64, phys: f64, attrs: i32, line: f64, offset: f64, time: f64, cpu: f64): bool {
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
export function unmap(d: Device, dir: i32, dma: f64, size: f64, line: f64, time: f64): bool {
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
export function sync(d: Device, dir: i32, dma: f64, size: f64): bool {
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

export function iommuMap(iova: f64, paddr: f64, size: f64, line: f64, offset: f64, time: f64, cpu: f64): bool {
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
export function iommuUnmap(iova: f64, size: f64): void {
  iommuUnmapsCount += 1;
  for (let at = iova; at < iova + size; ) {
    const slot = iommu.find(bits(at));
    if (slot < 0) break;
    const mapped = iommu.get(slot, I_SIZE);
    iommu.remove(slot);
    at += mapped;
  }
}
