// A top-down first-fit allocator of address ranges within [base, end): the page allocator's regions, the
// swiotlb pool's slots and each IOMMU's I/O virtual addresses all use it.

export interface PhysRange {
  phys: number;
  len: number;
}

/** Free ranges sorted by address, never adjacent. */
export interface RangeAllocator {
  base: number;
  end: number;
  free: PhysRange[];
}

export function createRangeAllocator(base: number, end: number): RangeAllocator {
  return { base, end, free: end > base ? [{ phys: base, len: end - base }] : [] };
}

/** Takes [phys, phys+len) out of free range `idx`, which holds it. */
function take(r: RangeAllocator, idx: number, phys: number, len: number): void {
  const f = r.free[idx];
  const pieces: PhysRange[] = [];
  if (phys > f.phys) pieces.push({ phys: f.phys, len: phys - f.phys });
  if (phys + len < f.phys + f.len) pieces.push({ phys: phys + len, len: f.phys + f.len - phys - len });
  r.free.splice(idx, 1, ...pieces);
}

/** The highest `len` bytes, aligned, that end at or below `below`; undefined when nothing fits. */
export function allocTopDown(r: RangeAllocator, len: number, below = Infinity, align = 1): number | undefined {
  // From the last range that starts below `below`: those above it cannot serve (a vmalloc leaves a gap per run).
  for (let i = lastStartingBelow(r.free, below); i >= 0; i--) {
    const f = r.free[i];
    const top = Math.min(f.phys + f.len, below);
    const start = Math.floor((top - len) / align) * align;
    if (start >= f.phys && start + len <= top) {
      take(r, i, start, len);
      return start;
    }
  }
  return undefined;
}

/** The index of the last of the sorted ranges `f` that starts below `addr` (-1 if none does). */
function lastStartingBelow(f: readonly PhysRange[], addr: number): number {
  let lo = 0;
  let hi = f.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (f[mid].phys < addr) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** Gives a range back, merging it with free neighbours; ranges outside [base, end) are ignored. */
export function freeRange(r: RangeAllocator, phys: number, len: number): void {
  if (phys < r.base || phys + len > r.end || len <= 0) return;
  const f = r.free;
  const i = lastStartingBelow(f, phys) + 1;
  f.splice(i, 0, { phys, len });
  for (let k = Math.min(i + 1, f.length - 1); k >= Math.max(i, 1); k--) {
    if (f[k - 1].phys + f[k - 1].len >= f[k].phys) {
      const end = Math.max(f[k - 1].phys + f[k - 1].len, f[k].phys + f[k].len);
      f[k - 1] = { phys: f[k - 1].phys, len: end - f[k - 1].phys };
      f.splice(k, 1);
    }
  }
}

/** Marks [phys, +len) as used wherever it is free. */
export function reserve(r: RangeAllocator, phys: number, len: number): void {
  for (let i = r.free.length - 1; i >= 0; i--) {
    const f = r.free[i];
    const lo = Math.max(f.phys, phys);
    const hi = Math.min(f.phys + f.len, phys + len);
    if (lo < hi) take(r, i, lo, hi - lo);
  }
}
