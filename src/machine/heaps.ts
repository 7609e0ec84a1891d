// The dma-buf heaps' page allocation (spec §4, kernel-dma-facts §6): the system heap's runs of 1 MiB, 64 KiB and
// 4 KiB, largest first and never physically adjacent; the CMA heap's one contiguous run; and allocations shaped
// by a FitPlan for exporters that allocate to fit their devices (spec §7).
import { SYSTEM_HEAP_MAX_RUN, type FitPlan } from './dmabufConstraints';
import { PAGE } from './layout';
import { allocBlocks, allocContiguous, pageAlign, type PageAllocator, type PhysRange } from './pageAllocator';

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
