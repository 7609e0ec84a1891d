// The page allocator (spec §3 `memory`): deterministic for a seed, allocates from the top of a region down,
// hands vmalloc scattered page runs, can keep an allocation below a DMA mask's limit, and frees.

import { Layout, PAGE } from './layout';
import { PhysRange, RangeAllocator, allocTopDown, createRangeAllocator, freeRange, reserve } from './rangeAllocator';

export type { PhysRange } from './rangeAllocator';

export interface PageAllocator {
  general: RangeAllocator;
  cma: RangeAllocator;
  /** State of the seeded generator that scatters vmalloc pages. */
  rng: number;
}

export interface AllocOptions {
  /** Every byte must lie below this address (a DMA mask's reach). */
  below?: number;
  /** Allocate from the CMA region instead of the general pages. */
  cma?: boolean;
}

export function createPageAllocator(layout: Layout, seed: number): PageAllocator {
  return {
    general: createRangeAllocator(layout.generalBase, layout.ramEnd),
    cma: createRangeAllocator(layout.cmaBase, layout.cmaBase + layout.cmaSize),
    rng: seed >>> 0 || 1,
  };
}

export function pageAlign(size: number): number {
  return Math.ceil(size / PAGE) * PAGE;
}

/** One physically contiguous allocation, page-granular; undefined when nothing fits. */
export function allocContiguous(a: PageAllocator, size: number, opts: AllocOptions = {}): number | undefined {
  return allocTopDown(opts.cma ? a.cma : a.general, pageAlign(size), opts.below, PAGE);
}

/**
 * Several runs, placed top-down with at least one free page between consecutive runs so that no two are
 * physically adjacent: vmalloc's placement (allocScattered). All or nothing: on failure every run taken is given back.
 */
export function allocRuns(a: PageAllocator, sizes: readonly number[]): PhysRange[] | undefined {
  const out: PhysRange[] = [];
  let below = Infinity;
  for (const size of sizes) {
    const len = pageAlign(size);
    const phys = allocTopDown(a.general, len, below, PAGE);
    if (phys === undefined) return giveBack(a, out);
    out.push({ phys, len });
    below = phys - PAGE;
  }
  return out;
}

/**
 * The most blocks one allocation takes. Past half of free memory, the gaps that keep blocks apart leave room only
 * for small ones: 52 GiB of 64 GiB would be 1.9 million blocks, ~10 s and over 1 GB to place (or to fail, as all
 * are placed before the last fails). Beyond this many (~1 s) the allocation fails as memory too fragmented.
 */
export const MAX_BLOCKS = 2 ** 18;

/**
 * `size` bytes as blocks of `sizes` (largest first, the last a page), each aligned to its size as the buddy
 * allocator gives a block of an order: the largest that fits the rest, and once no block of a size can be
 * placed the next smaller, never a larger again (the system heap's alloc_largest_available). No two blocks are
 * physically adjacent. All or nothing; at most MAX_BLOCKS of them.
 */
export function allocBlocks(a: PageAllocator, size: number, sizes: readonly number[], below = Infinity): PhysRange[] | undefined {
  const r = a.general;
  let rest = pageAlign(size);
  if (rest > r.freeBytes) return undefined;
  const out: PhysRange[] = [];
  // Free pages either side of each block, held until the end so that no later block of this buffer touches it.
  const guards: number[] = [];
  let last = below;
  for (const len of sizes) {
    while (rest >= len && out.length < MAX_BLOCKS) {
      // Below the block before; when nothing fits there, the highest place left, such as a hole between blocks.
      const phys = allocTopDown(r, len, last, len) ?? allocTopDown(r, len, below, len);
      if (phys === undefined) break;
      out.push({ phys, len });
      rest -= len;
      last = phys;
      for (const g of [phys - PAGE, phys + len]) if (reserve(r, g, PAGE) > 0) guards.push(g);
    }
  }
  for (const g of guards) freeRange(r, g, PAGE);
  return rest === 0 ? out : giveBack(a, out);
}

function giveBack(a: PageAllocator, runs: readonly PhysRange[]): undefined {
  for (const got of runs) freePages(a, got.phys, got.len);
  return undefined;
}

/** vmalloc's scattered pages: runs of 1 to 4 pages chosen by the seeded generator, never adjacent. */
export function allocScattered(a: PageAllocator, size: number): PhysRange[] | undefined {
  let left = pageAlign(size);
  if (left > a.general.freeBytes) return undefined;
  const sizes: number[] = [];
  while (left > 0) {
    const len = Math.min(left, (1 + (nextRandom(a) % 4)) * PAGE);
    sizes.push(len);
    left -= len;
  }
  return allocRuns(a, sizes);
}

/** xorshift32: deterministic for the `memory` seed. */
function nextRandom(a: PageAllocator): number {
  let x = a.rng;
  x = (x ^ (x << 13)) >>> 0;
  x = (x ^ (x >>> 17)) >>> 0;
  x = (x ^ (x << 5)) >>> 0;
  a.rng = x;
  return x;
}

/** Gives pages back to whichever region holds them. */
export function freePages(a: PageAllocator, phys: number, len: number): void {
  freeRange(phys >= a.cma.base && phys < a.cma.end ? a.cma : a.general, phys, pageAlign(len));
}

/** A fixed range (a `phys()` declaration) is in use: the allocator never hands it out. */
export function reservePages(a: PageAllocator, phys: number, len: number): void {
  const lo = Math.floor(phys / PAGE) * PAGE;
  const hi = pageAlign(phys + len);
  reserve(a.general, lo, hi - lo);
  reserve(a.cma, lo, hi - lo);
}
