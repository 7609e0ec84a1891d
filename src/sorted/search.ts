// Binary search over anything sorted by a number, read through an accessor so that callers search their own arrays
// (owner runs by end, a mapping's spans, leaks by object id, buffer sizes by id, a recording's steps, memory's runs
// by start, a trace's checkpoints by position) without building an array of keys.

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
 * The last k in [0, n) with value(k) <= x, for `value` ascending in k and whole numbers below 2^53 (addresses,
 * steps), so that "at most x" is "less than floor(x) + 1"; -1 if none.
 */
export function lastAtMost(n: number, value: (k: number) => number, x: number): number {
  return firstAtLeast(n, value, Math.floor(x) + 1) - 1;
}

/**
 * Of `n` consecutive segments, the k-th starting at `start(k)` (ascending whole numbers below 2^53: memory's runs and
 * blocks, a recording's segments, a trace's pages and checkpoints), the one holding `x`: the last that starts at or
 * before it, or the first when `x` lies before them all.
 */
export function segmentAt(n: number, start: (k: number) => number, x: number): number {
  return Math.max(0, lastAtMost(n, start, x));
}

/**
 * How many of the ascending whole numbers `values` (steps, lines) are at or before `at` (for a breakpoint's matches:
 * the hit count there).
 */
export function countAtMost(values: ArrayLike<number>, at: number): number {
  return lastAtMost(values.length, (k) => values[k], at) + 1;
}

/**
 * The index of the first of `ranges` (sorted and disjoint: a mapping's spans, a buffer's owner runs) that ends after
 * byte `at` (ranges.length if none).
 */
export function firstEndingAfter(ranges: readonly { readonly off: number; readonly len: number }[], at: number): number {
  return firstAtLeast(ranges.length, (k) => ranges[k].off + ranges[k].len, at + 1);
}
