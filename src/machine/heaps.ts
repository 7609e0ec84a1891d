// The dma-buf heaps' page allocation (spec §4, kernel-dma-facts §6): the system heap's runs of 1 MiB, 64 KiB and
// 4 KiB, largest first and never physically adjacent; the CMA heap's one contiguous run; and allocations shaped
// by a FitPlan for exporters that allocate to fit their devices (spec §7).
import { SYSTEM_HEAP_MAX_RUN, type FitPlan } from './dmabufConstraints';
import { PAGE } from './layout';
import { allocContiguous, allocRuns, pageAlign, type PageAllocator, type PhysRange } from './pageAllocator';

/** The system heap's page orders 8, 4 and 0 as run sizes. */
export const SYSTEM_HEAP_RUNS = [SYSTEM_HEAP_MAX_RUN, 64 * 1024, PAGE] as const;

/** The run sizes the system heap takes for `size` bytes: the largest run that fits the rest, first. */
export function systemHeapRunSizes(size: number, maxRun: number = SYSTEM_HEAP_MAX_RUN): number[] {
  const out: number[] = [];
  let rest = pageAlign(size);
  for (const s of SYSTEM_HEAP_RUNS.filter((r) => r <= maxRun)) {
    const n = Math.floor(rest / s);
    for (let i = 0; i < n; i++) out.push(s);
    rest -= n * s;
  }
  return out;
}

export function allocateSystemHeap(a: PageAllocator, size: number): PhysRange[] | undefined {
  // alloc_pages() of order 8 or 4: a block aligned to its size, so a 1 MiB run never crosses a 1 MiB boundary.
  return allocRuns(a, systemHeapRunSizes(size), { natural: true });
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
 * the plan allows, aligned to that length when it is capped so that no run crosses a segment boundary.
 */
export function allocateToFit(a: PageAllocator, size: number, plan: FitPlan): PhysRange[] | undefined {
  if (plan.contiguous) return contiguous(a, size, plan.below, true) ?? contiguous(a, size, plan.below, false);
  // A segment window aligns every run to the longest allowed; without one the runs are the system heap's, each
  // aligned to its own size as alloc_pages() gives them.
  const placed = plan.window !== undefined ? { align: plan.maxRun } : { natural: true };
  return allocRuns(a, systemHeapRunSizes(size, plan.maxRun), { below: plan.below, ...placed });
}
