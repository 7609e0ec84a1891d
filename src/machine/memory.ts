// Physical memory as sorted runs of (byte value, write sequence number), never an array per byte:
// writing 1 GiB of one value costs O(runs). The same store also holds the newest write of each logical byte.

import { DataRun, pushRun } from './runs';

/** The highest address the store covers (exclusive): far above any RAM the language can declare. */
export const ADDRESS_END = 2 ** 52;

/** Run i covers [starts[i], starts[i+1]) (the last one up to ADDRESS_END); adjacent runs always differ. */
export interface RunStore {
  starts: number[];
  values: number[];
  seqs: number[];
}

/** Every byte `value`, written by write `seq`. */
export function createRunStore(value = 0, seq = 0): RunStore {
  return { starts: [0], values: [value], seqs: [seq] };
}

/** Index of the run containing `addr`. */
function runIndex(store: RunStore, addr: number): number {
  const s = store.starts;
  let lo = 0;
  let hi = s.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (s[mid] <= addr) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export function readRuns(store: RunStore, addr: number, len: number): DataRun[] {
  const out: DataRun[] = [];
  const end = addr + len;
  for (let i = runIndex(store, addr); i < store.starts.length && store.starts[i] < end; i++) {
    const runEnd = i + 1 < store.starts.length ? store.starts[i + 1] : ADDRESS_END;
    const a = Math.max(addr, store.starts[i]);
    const b = Math.min(end, runEnd);
    pushRun(out, { len: b - a, value: store.values[i], seq: store.seqs[i] });
  }
  return out;
}

/** Replaces the bytes from `addr` on with `runs` (their total length), coalescing equal neighbours. */
export function writeRuns(store: RunStore, addr: number, runs: readonly DataRun[]): void {
  let total = 0;
  for (const r of runs) total += r.len;
  if (total <= 0) return;
  const end = addr + total;
  if (runs.length === 1 && extendInPlace(store, addr, end, runs[0])) return;
  const j = runIndex(store, end);
  const hasTail = end < ADDRESS_END && store.starts[j] < end;
  const tailValue = store.values[j];
  const tailSeq = store.seqs[j];
  let lo = runIndex(store, addr);
  if (store.starts[lo] < addr) lo++;
  let hi = runIndex(store, end - 1) + 1; // runs [lo, hi) start inside [addr, end)
  if (hi < lo) hi = lo;
  let n = hasTail ? 1 : 0;
  for (const r of runs) if (r.len > 0) n++;
  resize(store.starts, lo, hi - lo, n);
  resize(store.values, lo, hi - lo, n);
  resize(store.seqs, lo, hi - lo, n);
  let pos = addr;
  let k = lo;
  for (const r of runs) {
    if (r.len <= 0) continue;
    store.starts[k] = pos;
    store.values[k] = r.value;
    store.seqs[k] = r.seq;
    pos += r.len;
    k++;
  }
  if (hasTail) {
    store.starts[k] = end;
    store.values[k] = tailValue;
    store.seqs[k] = tailSeq;
  }
  coalesce(store, Math.max(0, lo - 1), lo + n + 1);
}

/**
 * Writes one run without moving any other: when [addr, end) already holds it, or when it takes the front of a run
 * whose predecessor holds it, or the back of one whose successor does (the line-by-line write-backs of one write
 * do this, and shifting the arrays for each made a large scattered buffer cost the square of its pages).
 */
function extendInPlace(store: RunStore, addr: number, end: number, r: DataRun): boolean {
  const { starts, values, seqs } = store;
  const i = runIndex(store, addr);
  const iEnd = i + 1 < starts.length ? starts[i + 1] : ADDRESS_END;
  if (end > iEnd) return false;
  if (values[i] === r.value && seqs[i] === r.seq) return true;
  if (starts[i] === addr && end < iEnd && i > 0 && values[i - 1] === r.value && seqs[i - 1] === r.seq) {
    starts[i] = end;
    return true;
  }
  if (end === iEnd && addr > starts[i] && i + 1 < starts.length && values[i + 1] === r.value && seqs[i + 1] === r.seq) {
    starts[i + 1] = addr;
    return true;
  }
  return false;
}

/**
 * Turns a[at, +count) into `n` slots to be filled (the rest shifted in place): a store write happens at almost every
 * statement, and splice would make two arrays each time.
 */
function resize(a: number[], at: number, count: number, n: number): void {
  const delta = n - count;
  const len = a.length;
  if (delta > 0) {
    for (let k = 0; k < delta; k++) a.push(0); // push, not a longer length: that would make the array holey
    for (let k = len - 1; k >= at + count; k--) a[k + delta] = a[k];
  } else if (delta < 0) {
    for (let k = at + count; k < len; k++) a[k + delta] = a[k];
    a.length = len + delta;
  }
}

export function fillRun(store: RunStore, addr: number, len: number, value: number, seq: number): void {
  writeRuns(store, addr, [{ len, value, seq }]);
}

/** Merges equal adjacent runs within [from, to). */
function coalesce(store: RunStore, from: number, to: number): void {
  const limit = Math.min(to, store.starts.length - 1);
  for (let i = limit; i > from; i--) {
    if (i < store.starts.length && store.values[i] === store.values[i - 1] && store.seqs[i] === store.seqs[i - 1]) {
      resize(store.starts, i, 1, 0);
      resize(store.values, i, 1, 0);
      resize(store.seqs, i, 1, 0);
    }
  }
}


export function runCount(store: RunStore): number {
  return store.starts.length;
}
