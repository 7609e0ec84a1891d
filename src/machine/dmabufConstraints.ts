// Device constraints against a dma-buf's pages (spec §7): which constraints a set of physical runs breaks for a
// device, and the allocation that would serve every device at once (what a deferred export allocates).

import { crossesBoundary, maskLimit, type DeviceConfig } from './device';
import { hex } from './events';
import { PAGE } from './layout';
import type { PhysRange } from './pageAllocator';
import { MAX_SLOTS, SLOT_SIZE } from './swiotlb';

/** A physically contiguous run of a buffer's pages: one sg table entry before IOMMU merging. */
type Run = PhysRange;

export type ConstraintName = 'contiguous' | 'max_segment_size' | 'segment_boundary';

export interface Unmet {
  constraint: ConstraintName;
  /** Why the pages cannot serve the device, for a driver developer. */
  reason: string;
}

/** swiotlb bounces at most 128 slots of 2 KiB per segment (kernel-dma-facts §2). */
export const SWIOTLB_MAX_SEGMENT = MAX_SLOTS * SLOT_SIZE;

export function formatSize(n: number): string {
  const units: [number, string][] = [[2 ** 30, 'GiB'], [2 ** 20, 'MiB'], [2 ** 10, 'KiB']];
  for (const [u, name] of units) if (n >= u && n % u === 0) return `${n / u} ${name}`;
  return `${n} bytes`;
}

/**
 * Whether a device without an IOMMU must bounce a run through swiotlb: the run ends beyond its mask, or
 * swiotlb=force. Devices behind an IOMMU never bounce.
 */
export function bounces(r: Run, dev: DeviceConfig, swiotlbForce: boolean): boolean {
  return !dev.iommu && (swiotlbForce || r.phys + r.len > maskLimit(dev));
}

/**
 * The sg table an exporter builds for an attachment: one entry per run, with runs the device must bounce split
 * at swiotlb's largest mapping, as drm_prime_pages_to_sg splits at dma_max_mapping_size(dev).
 */
export function attachmentTable(runs: readonly Run[], dev: DeviceConfig, swiotlbForce: boolean): Run[] {
  const out: Run[] = [];
  for (const r of runs) {
    const piece = bounces(r, dev, swiotlbForce) ? SWIOTLB_MAX_SEGMENT : r.len;
    for (let off = 0; off < r.len; off += piece) out.push({ phys: r.phys + off, len: Math.min(piece, r.len - off) });
  }
  return out;
}

/** Every constraint of `dev` that a map of these runs would break; empty when the pages serve it. */
export function unmetConstraints(runs: readonly Run[], dev: DeviceConfig, swiotlbForce: boolean): Unmet[] {
  const out: Unmet[] = [];
  const table = attachmentTable(runs, dev, swiotlbForce);
  if (dev.contiguous && !dev.iommu && table.length > 1) {
    const why = runs.length > 1
      ? `the pages are ${runs.length} separate runs`
      : `the pages bounce through swiotlb (${swiotlbForce ? 'swiotlb=force' : `beyond its ${dev.dmaMask}-bit dma_mask`}) in ${table.length} pieces`;
    out.push({ constraint: 'contiguous', reason: `${dev.name} needs one contiguous segment (it has no IOMMU), but ${why}` });
  }
  const max = dev.maxSegmentSize;
  const long = max === undefined ? undefined : table.find((r) => r.len > max);
  if (long && max !== undefined) {
    out.push({ constraint: 'max_segment_size', reason: `a run of ${formatSize(long.len)} at ${hex(long.phys)} is longer than ${dev.name}'s max_segment_size of ${formatSize(max)}` });
  }
  const mask = dev.segmentBoundary;
  if (mask !== undefined) {
    // Behind an IOMMU the IOVA allocator pads around boundaries; only a run longer than the window cannot be fixed.
    const bad = table.find((r) => (dev.iommu ? r.len > mask + 1 : crossesBoundary(dev, r.phys, r.len)));
    if (bad) {
      out.push({
        constraint: 'segment_boundary',
        reason: dev.iommu
          ? `a run of ${formatSize(bad.len)} is longer than ${dev.name}'s segment_boundary window of ${formatSize(mask + 1)}`
          : `the run of ${formatSize(bad.len)} at ${hex(bad.phys)} crosses ${dev.name}'s segment_boundary ${hex(mask)}`,
      });
    }
  }
  return out;
}

/** How to allocate pages that serve a set of devices (spec §7), and why. */
export interface FitPlan {
  contiguous: boolean;
  /** Exclusive upper bound of every page's address, when some device's mask is below 64 bits. */
  below?: number;
  /** Which device's mask set `below`, as `reasons` says it. */
  belowBecause?: string;
  /** The longest segment every device takes (the smallest max_segment_size or boundary window), if any limits it. */
  window?: number;
  /** The largest run the system-heap-like allocation may use (a power of two, at least one page). */
  maxRun: number;
  /** Devices that shaped the plan, each with what it asked for. */
  reasons: string[];
}

export const SYSTEM_HEAP_MAX_RUN = 1024 * 1024;

function largestPowerOfTwoAtMost(n: number): number {
  return 2 ** Math.floor(Math.log2(n));
}

/**
 * The allocation that serves every device given: contiguous if any device without an IOMMU needs it, below the
 * smallest dma_mask among them, otherwise system-heap runs no longer than any device's max_segment_size or
 * segment_boundary window (runs are aligned to their size, so they then cross no boundary).
 */
export function fitPlan(devices: readonly DeviceConfig[], forceContiguous = false): FitPlan {
  const reasons: string[] = [];
  let contiguous = forceContiguous;
  let below: number | undefined;
  let belowBecause: string | undefined;
  let maxRun = SYSTEM_HEAP_MAX_RUN;
  let window: number | undefined;
  for (const d of devices) {
    if (d.contiguous && !d.iommu) {
      contiguous = true;
      reasons.push(`${d.name} needs contiguous pages`);
    }
    if (d.dmaMask < 64) {
      const limit = maskLimit(d);
      reasons.push(`${d.name} reaches only ${d.dmaMask} address bits`);
      if (below === undefined || limit < below) {
        below = limit;
        belowBecause = reasons[reasons.length - 1];
      }
    }
    const own = Math.min(d.maxSegmentSize ?? Infinity, d.segmentBoundary === undefined ? Infinity : d.segmentBoundary + 1);
    if (own !== Infinity && (window === undefined || own < window)) {
      window = own;
      maxRun = Math.min(SYSTEM_HEAP_MAX_RUN, Math.max(PAGE, largestPowerOfTwoAtMost(own)));
      reasons.push(`${d.name} takes segments of at most ${formatSize(own)}`);
    }
  }
  return { contiguous, below, belowBecause, window, maxRun, reasons };
}

/** One line describing a plan, e.g. "contiguous pages below 4 GiB". */
export function describePlan(p: FitPlan): string {
  const shape = p.contiguous ? 'contiguous pages' : p.window !== undefined ? `system-heap runs of at most ${formatSize(p.maxRun)}` : 'system-heap runs';
  return p.below === undefined ? shape : `${shape} below ${formatSize(p.below)}`;
}
