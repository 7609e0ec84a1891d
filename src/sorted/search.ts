// Binary search over anything sorted by a number, read through an accessor so that callers search their own arrays
// (owner runs by end, a mapping's spans, leaks by object id, buffer sizes by id, a recording's steps) without
// building an array of keys.

/** The first k in [0, n) with value(k) >= x, for `value` ascending in k; n if none. */
export function firstAtLeast(n: number, value: (k: number) => number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (value(mid) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * How many of the ascending whole numbers `values` (steps, lines) are at or before `at` (for a breakpoint's matches:
 * the hit count there).
 */
export function countAtMost(values: ArrayLike<number>, at: number): number {
  return firstAtLeast(values.length, (k) => values[k], Math.floor(at) + 1);
}
