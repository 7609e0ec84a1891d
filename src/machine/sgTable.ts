// Scatter-gather tables (spec §6, §7): one entry per physically contiguous run of a buffer; after mapping,
// the first `nents` entries carry the DMA segments (fewer than `orig_nents` when an IOMMU merged them).

import type { PhysRange } from './rangeAllocator';

export interface SgEntry {
  phys: number;
  length: number;
  /** The DMA segment this entry starts, when it starts one; 0 with length 0 for entries merged away. */
  dma_address: number;
  dma_length: number;
}

export interface SgTable {
  entries: SgEntry[];
  nents: number;
  orig_nents: number;
}

/** One entry per physically contiguous run: adjacent pieces are merged (sg_alloc_table_from_pages). */
export function contiguousRuns(segs: readonly PhysRange[]): PhysRange[] {
  const out: PhysRange[] = [];
  for (const s of segs) {
    const last = out[out.length - 1];
    if (last && last.phys + last.len === s.phys) last.len += s.len;
    else if (s.len > 0) out.push({ phys: s.phys, len: s.len });
  }
  return out;
}

/** A table whose every entry is its own DMA segment (dma-direct never merges). */
export function unmergedTable(runs: readonly PhysRange[], dmaOf: (i: number) => number): SgTable {
  const entries = runs.map((r, i) => ({ phys: r.phys, length: r.len, dma_address: dmaOf(i), dma_length: r.len }));
  return { entries, nents: entries.length, orig_nents: entries.length };
}

