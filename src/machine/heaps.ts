// The dma-buf heaps' page allocation (spec §4, kernel-dma-facts §6): the system heap's runs of 1 MiB, 64 KiB and
// 4 KiB, largest first and never physically adjacent; the CMA heap's one contiguous run; and allocations shaped
// by a FitPlan for exporters that allocate to fit their devices (spec §7).
import { formatSize, SYSTEM_HEAP_MAX_RUN, type FitPlan } from './dmabufConstraints';
import { PAGE } from './layout';
import { allocBlocks, allocContiguous, MAX_BLOCKS, pageAlign, type PageAllocator, type PhysRange } from './pageAllocator';
import { freeBelow } from './rangeAllocator';

/** The system heap's page orders 8, 4 and 0 as run sizes. */
const SYSTEM_HEAP_RUNS = [SYSTEM_HEAP_MAX_RUN, 64 * 1024, PAGE] as const;

/** Runs of the system heap's sizes up to `maxRun`, each aligned to its size as alloc_pages() gives a block. */
function systemHeapRuns(a: PageAllocator, size: number, maxRun: number, below?: number): PhysRange[] | undefined {
  return allocBlocks(a, size, SYSTEM_HEAP_RUNS.filter((s) => s <= maxRun), below);
}

export function allocateSystemHeap(a: PageAllocator, size: number): PhysRange[] | undefined {
  // Aligned to its size, a 1 MiB run never crosses a 1 MiB segment boundary.
  return systemHeapRuns(a, size, SYSTEM_HEAP_MAX_RUN);
}

function contiguous(a: PageAllocator, size: number, below: number | undefined, cma: boolean): PhysRange[] | undefined {
  const len = pageAlign(size);
  const phys = allocContiguous(a, len, { below, cma });
  return phys === undefined ? undefined : [{ phys, len }];
}

export function allocateCma(a: PageAllocator, size: number): PhysRange[] | undefined {
  return contiguous(a, size, undefined, true);
}

/**
 * Pages shaped by a plan: contiguous from CMA (else anywhere below the limit), or system-heap runs no longer than
 * the plan allows; a run aligned to its size, a power of two within the window, crosses no segment boundary.
 */
export function allocateToFit(a: PageAllocator, size: number, plan: FitPlan): PhysRange[] | undefined {
  if (plan.contiguous) return contiguous(a, size, plan.below, true) ?? contiguous(a, size, plan.below, false);
  return systemHeapRuns(a, size, plan.maxRun, plan.below);
}

/** Where an allocation takes its pages: the system heap, the CMA heap, or a plan that fits devices (allocateToFit). */
export type PageSource = 'system' | 'cma' | FitPlan;

/** The shapes of pages an allocation takes, as a failure tells them. */
const RUNS = `runs that touch no other (at most ${MAX_BLOCKS.toLocaleString('en')})`;
const CONTIGUOUS = 'one contiguous run';

/**
 * The bytes free where `from` may take pages: a plan's only below its limit (memory above a device's mask cannot
 * serve it), from CMA and the general pages when contiguous (allocateToFit tries both), else the general pages.
 */
function freeFor(a: PageAllocator, from: PageSource): number {
  if (from === 'system') return a.general.freeBytes;
  if (from === 'cma') return a.cma.freeBytes;
  return (from.contiguous ? freeBelow(a.cma, from.below) : 0) + freeBelow(a.general, from.below);
}

/**
 * Why an allocation of `size` from `from` found no pages (-ENOMEM): too few bytes free where it may take them, or
 * that many free but not in the shape it takes (one contiguous run; runs that touch no other, at most MAX_BLOCKS).
 */
export function whyNoPages(a: PageAllocator, size: number, from: PageSource): string {
  const free = freeFor(a, from);
  const plan = from === 'system' || from === 'cma' ? undefined : from;
  const shape = from === 'cma' || plan?.contiguous ? CONTIGUOUS : RUNS;
  // A figure counted below a device's mask says so, and whose mask, when there is memory above it.
  const top = Math.max(a.general.end, plan?.contiguous ? a.cma.end : 0);
  const where = plan?.below !== undefined && plan.below < top ? ` below ${formatSize(plan.below)} (${plan.belowBecause})` : '';
  if (free < size) return `only ${formatSize(free)} free${where}`;
  // Enough free but not in the shape it takes: the devices that asked for that shape (contiguous pages, short segments).
  const shapedBy = plan?.reasons.filter((r) => r !== plan.belowBecause) ?? [];
  return `${formatSize(free)} free${where}, but not as ${shape}${shapedBy.length ? ` (${shapedBy.join('; ')})` : ''}`;
}
