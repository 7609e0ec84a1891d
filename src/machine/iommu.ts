// The IOMMU (spec §6, kernel-dma-facts §3): I/O virtual addresses per device, allocated with a 4 KiB granule
// counting down from just below 4 GiB, and dma_map_sg's segment merging against max_segment_size and
// segment_boundary (iommu_dma_map_sg + __finalise_sg).

import { DeviceConfig, boundaryPeriod, maskLimit, maxSegment } from './device';
import { FOUR_GIB } from './layout';
import { RangeAllocator, allocTopDown, createRangeAllocator, freeRange } from './rangeAllocator';
import type { PhysRange } from './rangeAllocator';
import { emit } from './report';
import type { SgTable } from './sgTable';
import type { MachineState } from './state';

export const IOVA_GRANULE = 4096;

export interface IommuState {
  iova: RangeAllocator;
}

export function createIommu(d: DeviceConfig): IommuState {
  return { iova: createRangeAllocator(IOVA_GRANULE, Math.min(FOUR_GIB, maskLimit(d))) };
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

function pow2AtLeast(n: number): number {
  let p = IOVA_GRANULE;
  while (p < n) p *= 2;
  return p;
}

/** One IOVA allocation, size-aligned as alloc_iova does; undefined when the space is exhausted. */
function allocIova(s: MachineState, dev: DeviceConfig, len: number): number | undefined {
  let st = s.iommu.get(dev.name);
  if (!st) {
    st = createIommu(dev);
    s.iommu.set(dev.name, st);
  }
  const iova = allocTopDown(st.iova, len, Infinity, pow2AtLeast(len));
  if (iova !== undefined) emit(s, { type: 'iommu-map', device: dev.name, iova, len });
  return iova;
}

export function freeIova(s: MachineState, dev: string, r: PhysRange): void {
  const st = s.iommu.get(dev);
  if (!st) return;
  freeRange(st.iova, r.phys, r.len);
  emit(s, { type: 'iommu-unmap', device: dev, iova: r.phys, len: r.len });
}

/** iommu_dma_map_page: the granule-aligned span of [phys, +len) gets IOVA; returns the DMA address. */
export function iommuMapSingle(s: MachineState, dev: DeviceConfig, phys: number, len: number): { dma: number; iova: PhysRange } | undefined {
  const off = phys % IOVA_GRANULE;
  const span = alignUp(off + len, IOVA_GRANULE);
  const iova = allocIova(s, dev, span);
  return iova === undefined ? undefined : { dma: iova + off, iova: { phys: iova, len: span } };
}

/**
 * iommu_dma_map_sg: each run is aligned to the granule and padded so that none crosses the segment boundary,
 * one IOVA range is allocated, then __finalise_sg merges a run into the previous segment when it starts at
 * granule offset 0, the previous run ended on a granule, the IOVA is not on a segment boundary, and the merged
 * length stays within max_segment_size.
 */
export function iommuMapSg(s: MachineState, dev: DeviceConfig, runs: readonly PhysRange[]): { table: SgTable; iova: PhysRange } | undefined {
  const period = boundaryPeriod(dev);
  const maxLen = maxSegment(dev);
  const offs = runs.map((r) => r.phys % IOVA_GRANULE);
  const spans = runs.map((r, i) => alignUp(offs[i] + r.len, IOVA_GRANULE));
  let total = 0;
  for (let i = 0; i < runs.length; i++) {
    const pad = period === Infinity ? 0 : (period - (total % period)) % period;
    if (pad && pad < spans[i] - 1) {
      spans[i - 1] += pad;
      total += pad;
    }
    total += spans[i];
  }
  const iova = allocIova(s, dev, total);
  if (iova === undefined) return undefined;
  const entries = runs.map((r) => ({ phys: r.phys, length: r.len, dma_address: 0, dma_length: 0 }));
  let count = 0;
  let curLen = 0;
  let dma = iova;
  for (let i = 0; i < runs.length; i++) {
    const onBoundary = period !== Infinity && dma % period === 0;
    if (curLen && offs[i] === 0 && !onBoundary && maxLen - curLen >= runs[i].len) {
      curLen += runs[i].len;
    } else {
      count++;
      curLen = runs[i].len;
      entries[count - 1].dma_address = dma + offs[i];
    }
    entries[count - 1].dma_length = curLen;
    dma += spans[i];
    if (runs[i].len + offs[i] < spans[i]) curLen = 0;
  }
  return { table: { entries, nents: count, orig_nents: runs.length }, iova: { phys: iova, len: total } };
}
