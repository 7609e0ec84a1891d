// A top-down first-fit allocator of address ranges within [base, end): the page allocator's regions, the
// swiotlb pool's slots and each IOMMU's I/O virtual addresses all use it. What is free is kept as memory's run
// store keeps bytes (runs of "free" and "used", in blocks): a vmalloc leaves a one-page gap per run, and a sorted
// list of ranges spliced at each allocation and free cost the square of the runs.
import { copyRunStore, createRunStore, fillRun, readRuns, runsDown, type RunStore } from './memory';

export interface PhysRange {
  phys: number;
  len: number;
}

const USED = 0;
const FREE = 1;

export interface RangeAllocator {
  base: number;
  end: number;
  /** Every address, `FREE` where it may be handed out; adjacent free ranges are one run. */
  runs: RunStore;
  /** The bytes free, all ranges together. */
  freeBytes: number;
}

export function createRangeAllocator(base: number, end: number): RangeAllocator {
  const runs = createRunStore(USED, 0);
  if (end > base) fillRun(runs, base, end - base, FREE, 0);
  return { base, end, runs, freeBytes: Math.max(0, end - base) };
}

export function copyRangeAllocator(r: RangeAllocator): RangeAllocator {
  return { ...r, runs: copyRunStore(r.runs) };
}

/** The bytes of [phys, +len) that are free. */
function freeIn(r: RangeAllocator, phys: number, len: number): number {
  let n = 0;
  for (const run of readRuns(r.runs, phys, len)) if (run.value === FREE) n += run.len;
  return n;
}

/** The bytes free below `below`: those an allocation kept under that limit may take. */
export function freeBelow(r: RangeAllocator, below = Infinity): number {
  if (below >= r.end) return r.freeBytes;
  return below <= r.base ? 0 : freeIn(r, r.base, below - r.base);
}

/** The highest `len` bytes, aligned, that end at or below `below`; undefined when nothing fits. */
export function allocTopDown(r: RangeAllocator, len: number, below = Infinity, align = 1): number | undefined {
  // Free ranges from the one below `below` down (those above it cannot serve), each cut at `below`.
  for (const f of runsDown(r.runs, Math.min(below, r.end))) {
    if (f.value !== FREE) continue;
    const start = Math.floor((f.end - len) / align) * align;
    if (start >= f.start && start + len <= f.end) {
      fillRun(r.runs, start, len, USED, 0);
      r.freeBytes -= len;
      return start;
    }
  }
  return undefined;
}

/** Gives a range back, merging it with free neighbours; ranges outside [base, end) are ignored. */
export function freeRange(r: RangeAllocator, phys: number, len: number): void {
  if (phys < r.base || phys + len > r.end || len <= 0) return;
  r.freeBytes += len - freeIn(r, phys, len);
  fillRun(r.runs, phys, len, FREE, 0);
}

/** Marks [phys, +len) as used wherever it is free; returns the bytes that were free. */
export function reserve(r: RangeAllocator, phys: number, len: number): number {
  const lo = Math.max(phys, r.base);
  const hi = Math.min(phys + len, r.end);
  if (lo >= hi) return 0;
  const taken = freeIn(r, lo, hi - lo);
  r.freeBytes -= taken;
  fillRun(r.runs, lo, hi - lo, USED, 0);
  return taken;
}
