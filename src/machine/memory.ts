// Physical memory as sorted runs of (byte value, write sequence number), never an array per byte:
// writing 1 GiB of one value costs O(runs). The same store also holds the newest write of each logical byte, and
// what each address allocator has free (rangeAllocator.ts).
// The runs are kept in blocks of a few hundred, so that a write among many runs (a vmalloc buffer's scattered
// pages, each its own run) shifts the runs of one block, not all of them.

import { segmentAt } from '../sorted/search';
import { DataRun, pushRun } from './runs';

/** The highest address the store covers (exclusive): far above any RAM the language can declare. */
export const ADDRESS_END = 2 ** 52;

/** Runs per block once a block is split: a write costs the runs of the blocks it touches. */
const BLOCK = 256;

/** Run i of a block covers [starts[i], starts[i+1]) (its last one up to the next block's first start). */
export interface RunBlock {
  starts: number[];
  values: number[];
  seqs: number[];
}

/** The blocks in address order, none empty, the first starting at 0; adjacent runs always differ. */
export interface RunStore {
  blocks: RunBlock[];
}

/** Every byte `value`, written by write `seq`. */
export function createRunStore(value = 0, seq = 0): RunStore {
  return { blocks: [{ starts: [0], values: [value], seqs: [seq] }] };
}

/** Index of the last entry of sorted `s` that is <= `addr` (0 if none is). */
function lastAtOrBelow(s: readonly number[], addr: number): number {
  return segmentAt(s.length, (k) => s[k], addr);
}

/** The block holding the run that contains `addr`. */
function blockIndex(store: RunStore, addr: number): number {
  const b = store.blocks;
  return segmentAt(b.length, (k) => b[k].starts[0], addr);
}

/** Where run i of block k ends: the next run's start. */
function runEnd(store: RunStore, k: number, i: number): number {
  const block = store.blocks[k];
  if (i + 1 < block.starts.length) return block.starts[i + 1];
  return k + 1 < store.blocks.length ? store.blocks[k + 1].starts[0] : ADDRESS_END;
}

export function readRuns(store: RunStore, addr: number, len: number): DataRun[] {
  const out: DataRun[] = [];
  const end = addr + len;
  for (let k = blockIndex(store, addr); k < store.blocks.length && store.blocks[k].starts[0] < end; k++) {
    const block = store.blocks[k];
    for (let i = block.starts[0] <= addr ? lastAtOrBelow(block.starts, addr) : 0; i < block.starts.length && block.starts[i] < end; i++) {
      const a = Math.max(addr, block.starts[i]);
      const b = Math.min(end, runEnd(store, k, i));
      pushRun(out, { len: b - a, value: block.values[i], seq: block.seqs[i] });
    }
  }
  return out;
}

/** The runs that start below `addr`, from the highest down, each cut at `addr`. */
export function* runsDown(store: RunStore, addr: number): IterableIterator<{ start: number; end: number; value: number }> {
  if (addr <= 0) return;
  const top = blockIndex(store, addr - 1);
  for (let k = top; k >= 0; k--) {
    const b = store.blocks[k];
    for (let i = k === top ? lastAtOrBelow(b.starts, addr - 1) : b.starts.length - 1; i >= 0; i--) {
      yield { start: b.starts[i], end: Math.min(runEnd(store, k, i), addr), value: b.values[i] };
    }
  }
}

/** Replaces the bytes from `addr` on with `runs` (their total length), coalescing equal neighbours. */
export function writeRuns(store: RunStore, addr: number, runs: readonly DataRun[]): void {
  let total = 0;
  for (const r of runs) total += r.len;
  if (total <= 0) return;
  const end = addr + total;
  if (runs.length === 1 && extendInPlace(store, addr, end, runs[0])) return;
  // The blocks from the one before `addr` (its last run may merge with the first new one) to the one holding `end`
  // (its run there is cut, or merges with the last new one) are rewritten as one flat list.
  const from = blockIndex(store, Math.max(0, addr - 1));
  const to = blockIndex(store, Math.min(end, ADDRESS_END - 1));
  const flat = concatBlocks(store.blocks, from, to);
  const limit = to + 1 < store.blocks.length ? store.blocks[to + 1].starts[0] : ADDRESS_END;
  writeFlat(flat, limit, addr, end, runs);
  store.blocks.splice(from, to - from + 1, ...splitBlock(flat));
}

/**
 * Writes one run without moving any other: when [addr, end) already holds it, or when it takes the front of a run
 * whose predecessor holds it, or the back of one whose successor does (the line-by-line write-backs of one write
 * do this, and rewriting a block for each would cost a block per line).
 */
function extendInPlace(store: RunStore, addr: number, end: number, r: DataRun): boolean {
  const k = blockIndex(store, addr);
  const block = store.blocks[k];
  const { starts, values, seqs } = block;
  const i = lastAtOrBelow(starts, addr);
  const iEnd = runEnd(store, k, i);
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

function concatBlocks(blocks: readonly RunBlock[], from: number, to: number): RunBlock {
  if (from === to) return blocks[from];
  const out: RunBlock = { starts: [], values: [], seqs: [] };
  for (let k = from; k <= to; k++) {
    const b = blocks[k];
    for (let i = 0; i < b.starts.length; i++) {
      out.starts.push(b.starts[i]);
      out.values.push(b.values[i]);
      out.seqs.push(b.seqs[i]);
    }
  }
  return out;
}

/** A block cut into blocks of `BLOCK` runs when it has grown past twice that, else itself. */
function splitBlock(b: RunBlock): RunBlock[] {
  if (b.starts.length <= 2 * BLOCK) return [b];
  const out: RunBlock[] = [];
  for (let i = 0; i < b.starts.length; i += BLOCK) {
    out.push({ starts: b.starts.slice(i, i + BLOCK), values: b.values.slice(i, i + BLOCK), seqs: b.seqs.slice(i, i + BLOCK) });
  }
  return out;
}

/** `writeRuns` on one flat list of runs whose last one ends at `limit`, where [addr, end) starts inside the list. */
function writeFlat(store: RunBlock, limit: number, addr: number, end: number, runs: readonly DataRun[]): void {
  const j = lastAtOrBelow(store.starts, end);
  const hasTail = end < limit && store.starts[j] < end;
  const tailValue = store.values[j];
  const tailSeq = store.seqs[j];
  let lo = lastAtOrBelow(store.starts, addr);
  if (store.starts[lo] < addr) lo++;
  let hi = lastAtOrBelow(store.starts, end - 1) + 1; // runs [lo, hi) start inside [addr, end)
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
function coalesce(store: RunBlock, from: number, to: number): void {
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
  let n = 0;
  for (const b of store.blocks) n += b.starts.length;
  return n;
}

/** The write of every run (what a message may still name). */
export function* seqsOf(store: RunStore): IterableIterator<number> {
  for (const b of store.blocks) yield* b.seqs;
}

/** A copy that shares nothing with `store`. */
export function copyRunStore(store: RunStore): RunStore {
  return { blocks: store.blocks.map((b) => ({ starts: b.starts.slice(), values: b.values.slice(), seqs: b.seqs.slice() })) };
}
