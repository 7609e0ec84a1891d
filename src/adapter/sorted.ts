// Counting in sorted arrays of steps (hits of a breakpoint, snapshot positions, page starts): a binary search.

/** How many of the ascending `values` are at or before `at` (for a breakpoint's matches: the hit count there). */
export function countAtMost(values: ArrayLike<number>, at: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid] <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
