// Where things lie in physical memory (spec §3 `memory`): RAM from 0x8000_0000, and below 4 GiB the swiotlb
// pool at the very bottom of RAM with the CMA region just above it; the page allocator serves the rest top-down.
//
//   0x8000_0000            swiotlb pool (64 MiB, 2 KiB slots)
//   0x8400_0000            CMA region (256 MiB): contiguous allocations (cma heap, contiguous exports)
//   0x9400_0000 .. end     general pages, allocated from the top of RAM down (above 4 GiB by default)
//
// On RAM smaller than 1 GiB the pool shrinks to an eighth and CMA to a quarter of it, so a tiny `memory`
// declaration still leaves general pages.

export const RAM_BASE = 0x8000_0000;
export const PAGE = 4096;
export const FOUR_GIB = 2 ** 32;
export const DEFAULT_RAM = 8 * 2 ** 30;
const MiB = 2 ** 20;

export interface Layout {
  ramBase: number;
  ramEnd: number;
  swiotlbBase: number;
  swiotlbSize: number;
  cmaBase: number;
  cmaSize: number;
  /** First byte of the general page region. */
  generalBase: number;
}

function pageFloor(n: number): number {
  return Math.floor(n / PAGE) * PAGE;
}

export function computeLayout(ramSize: number): Layout {
  const size = Math.max(pageFloor(ramSize), 16 * PAGE);
  const swiotlbSize = Math.min(64 * MiB, pageFloor(size / 8));
  const cmaSize = Math.min(256 * MiB, pageFloor(size / 4));
  const swiotlbBase = RAM_BASE;
  const cmaBase = swiotlbBase + swiotlbSize;
  return { ramBase: RAM_BASE, ramEnd: RAM_BASE + size, swiotlbBase, swiotlbSize, cmaBase, cmaSize, generalBase: cmaBase + cmaSize };
}
