// Arrays the machine changes in place although copies of its state (the debugger's snapshots) may share them: a
// buffer's owner runs and a mapping's owned spans, which a mapping synced piece by piece makes long. Copying such an
// array at every change made n partial syncs of one mapping cost O(n^2); instead a copy of the state shares the array
// and marks it, and the next change of a marked array, by either state, changes a copy of it.

const shared = new WeakSet<readonly unknown[]>();

/** `a`, which a copy of the state now shares: neither state changes it again. */
export function share<T>(a: T[]): T[] {
  shared.add(a);
  return a;
}

/** The most items spread into one call of splice: each is an argument of the call, and a call's arguments are bounded. */
const SPREAD = 8192;

/**
 * `a` with its items [from, to) replaced by `items`, the array to keep: `a` itself, changed in place (only the items
 * after `to` move), unless a copy of the state shares it or the items are too many to spread: then a new array, built
 * in one pass.
 */
export function replaced<T>(a: T[], from: number, to: number, items: readonly T[]): T[] {
  if (shared.has(a) || items.length > SPREAD) return a.slice(0, from).concat(items, a.slice(to));
  a.splice(from, to - from, ...items);
  return a;
}
