// A cacheable CPU access over the scattered pieces of one buffer (vmalloc's pages, a dma-buf's page runs), in their
// order: what accessing each piece in turn (`cpuAccess`) leaves in memory and the cache, at a cost that follows the
// pieces and the cache's size, not the bytes. An LRU set holds the lines referenced in it most recently, so an
// access of many distinct lines that all miss leaves each set holding its last lines of the access, and of what it
// held before the most recent, if ways are left; every other line of the access passes through to memory. Where the
// access may still find a line cached when it reaches it (early in it, or in a set that gets few of its lines), it
// goes piece by piece up to the end of that line's page; any other cached line of the access is pushed out of its
// set before the access reaches it, and so it is evicted first here. (`cpuAccess` summarises one large range the
// same way with less bookkeeping: on a range the general form took twice as long.)

import { CpuOp, INVALID, LineChanges, cpuAccess, evictLines, fillSlot, flushLineSummary, forEachLineGroup, lineCause, lineCount, lineState } from './cache';
import type { PhysRange } from './pageAllocator';
import { PAGE } from './layout';
import { readRuns, writeRuns } from './memory';
import { DataRun, appendRuns, overwriteRuns, sliceRuns } from './runs';
import { firstAtLeast } from '../sorted/search';
import type { MachineState } from './state';

/** A physically contiguous piece of the access. */
export type Piece = PhysRange;

/** A piece with its place in the access: its index, its offset in the op's bytes, and its lines [first, last]. */
interface Span {
  piece: number;
  phys: number;
  len: number;
  pos: number;
  first: number;
  last: number;
}

/** The part of `op` for its bytes [pos, +len). */
function partOf(op: CpuOp, pos: number, len: number): CpuOp {
  return op.kind === 'write' ? { ...op, runs: sliceRuns(op.runs, pos, len) } : op;
}

/**
 * The access `op` of the pieces in turn (a write's runs cover them one after another); returns what each piece
 * read. Pieces that meet inside a page or share a line, and a bounce copy, are accessed one by one.
 */
export function cpuAccessPieces(s: MachineState, pieces: readonly Piece[], op: CpuOp): DataRun[][] {
  const L = s.cache.line;
  const out = pieces.map((): DataRun[] => []);
  const spans: Span[] = [];
  let pos = 0;
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i];
    if (p.len > 0) spans.push(spanOf(i, p.phys, p.len, pos, L));
    pos += Math.max(0, p.len);
  }
  if ((op.kind === 'write' && op.copy) || !apart(spans, L) || lineTotal(spans) <= 2 * lineCount(s.cache)) {
    oneByOne(s, spans, op, out);
    return out;
  }
  // Piece by piece up to the end of the page of each line the access may find still cached; streamed between.
  let run: Span[] = [];
  const exactTo = mayHit(s, spans);
  for (let k = 0; k < spans.length; k++) {
    const sp = spans[k];
    if (exactTo[k] < 0) {
      run.push(sp);
      continue;
    }
    stream(s, run, op, out);
    run = [];
    const cut = Math.min(sp.phys + sp.len, (Math.floor((exactTo[k] * L) / PAGE) + 1) * PAGE);
    oneByOne(s, [spanOf(sp.piece, sp.phys, cut - sp.phys, sp.pos, L)], op, out);
    if (cut < sp.phys + sp.len) run.push(spanOf(sp.piece, cut, sp.phys + sp.len - cut, sp.pos + cut - sp.phys, L));
  }
  stream(s, run, op, out);
  return out;
}

function spanOf(piece: number, phys: number, len: number, pos: number, L: number): Span {
  return { piece, phys, len, pos, first: Math.floor(phys / L), last: Math.floor((phys + len - 1) / L) };
}

function oneByOne(s: MachineState, spans: readonly Span[], op: CpuOp, out: DataRun[][]): void {
  for (const sp of spans) appendRuns(out[sp.piece], cpuAccess(s, sp.phys, sp.len, partOf(op, sp.pos, sp.len)));
}

/** Spans the access may find nothing cached in: streamed when they hold more lines than twice the cache, else one by one. */
function stream(s: MachineState, spans: readonly Span[], op: CpuOp, out: DataRun[][]): void {
  if (lineTotal(spans) > 2 * lineCount(s.cache)) streamed(s, spans, op, out);
  else oneByOne(s, spans, op, out);
}

function lineTotal(spans: readonly Span[]): number {
  let n = 0;
  for (const sp of spans) n += sp.last - sp.first + 1;
  return n;
}

/**
 * Whether the pieces share no line and meet only at page edges (so that next-line prefetch, which stays in its
 * page, reaches only lines of its own piece, but from the very end of the last one). The first and the last may
 * still share a page, and then a line.
 */
function apart(spans: readonly Span[], L: number): boolean {
  if (spans.length < 2 || PAGE % L !== 0) return false;
  for (let k = 0; k < spans.length; k++) {
    if (k > 0 && spans[k].phys % PAGE !== 0) return false;
    if (k < spans.length - 1 && (spans[k].phys + spans[k].len) % PAGE !== 0) return false;
  }
  const sorted = byAddress(spans);
  for (let k = 1; k < sorted.length; k++) if (sorted[k - 1].last >= sorted[k].first) return false;
  return true;
}

/** The spans sorted by address, for `holding`. */
function byAddress(spans: readonly Span[]): Span[] {
  return [...spans].sort((a, b) => a.first - b.first);
}

/**
 * The span (of `sorted`, which share no line: see `apart`) holding line `ln`, or undefined: the first ending at or
 * after it, if it starts at or before it.
 */
function holding(sorted: readonly Span[], ln: number): Span | undefined {
  const k = firstAtLeast(sorted.length, (i) => sorted[i].last, ln);
  return k < sorted.length && sorted[k].first <= ln ? sorted[k] : undefined;
}

/** The slots of the valid lines that lie in the spans. */
function cachedIn(s: MachineState, spans: readonly Span[]): number[] {
  const c = s.cache;
  const found: number[] = [];
  if (c.valid === 0) return found;
  const sorted = byAddress(spans);
  const [lo, hi] = [sorted[0].first, sorted[sorted.length - 1].last];
  const { tags, states } = c;
  const one = sorted.length === 1;
  for (let i = 0, n = lineCount(c); i < n; i++) {
    if (states[i] !== INVALID && tags[i] >= lo && tags[i] <= hi && (one || holding(sorted, tags[i]))) found.push(i);
  }
  return found;
}

/**
 * Per span, the last of its lines cached now that the access may find still cached when it reaches it (-1: none):
 * its set got fewer than ways + 2 lines of the access before it (prefetch may add two). Any other cached line of
 * the access is pushed out of its set before the access reaches it.
 */
function mayHit(s: MachineState, spans: readonly Span[]): number[] {
  const c = s.cache;
  const exactTo = spans.map(() => -1);
  if (c.valid === 0) return exactTo;
  // The cached lines of the access, by the span holding them.
  const sorted = byAddress(spans);
  const index = new Map(spans.map((sp, k) => [sp, k]));
  const margin = c.ways + 2;
  const cached = new Map<number, number[]>();
  for (const i of cachedIn(s, spans)) {
    const ln = c.tags[i];
    const sp = holding(sorted, ln)!;
    // Its own span gives its set that many lines before it: pushed out for sure.
    if (Math.floor((ln - sp.first) / c.sets) >= margin) continue;
    const k = index.get(sp)!;
    const lines = cached.get(k);
    if (lines) lines.push(ln);
    else cached.set(k, [ln]);
  }
  const seen = new Int32Array(c.sets);
  let sets = 0;
  let left = cached.size;
  for (let k = 0; k < spans.length && left > 0; k++) {
    const lines = Float64Array.from(cached.get(k) ?? []).sort();
    if (lines.length > 0) left--;
    let q = 0;
    for (let ln = spans[k].first; ln <= spans[k].last; ln++) {
      const t = ln % c.sets;
      if (q < lines.length && lines[q] === ln) {
        if (seen[t] < margin) exactTo[k] = ln;
        q++;
      }
      // Once every set has seen that many lines of the access, no line cached now is still cached when reached.
      if (++seen[t] === margin && ++sets === c.sets) return exactTo;
      if (q === lines.length && left === 0) break;
    }
  }
  return exactTo;
}

/**
 * The access of `spans` (more lines than twice the cache holds, none it may find cached), as line-by-line
 * simulation leaves it; the last two lines of the last span are simulated so, after the rest (their prefetch may
 * reach past the access).
 */
function streamed(s: MachineState, spans: readonly Span[], op: CpuOp, out: DataRun[][]): void {
  const c = s.cache;
  const L = c.line;
  const S = c.sets;
  const W = c.ways;
  const end = spans[spans.length - 1];
  const tailFirst = Math.max(end.first, end.last - 1);
  const body = spans.slice(0, -1);
  if (tailFirst > end.first) body.push({ ...end, len: tailFirst * L - end.phys, last: tailFirst - 1 });
  const cause = lineCause(op);

  // Lines of the access cached now are evicted before the access reaches them.
  evictLines(s, cachedIn(s, body), 'evict');

  // How many lines of the access each set receives, and the last (up to its ways) of them, which it keeps.
  const keeps = linesKept(body, S, W);
  const kept = lastLines(body, S, keeps);

  // What each set held keeps the ways its new lines leave, most recent first; the rest is evicted.
  const evicted: number[] = [];
  const held: number[] = [];
  for (let t = 0; t < S; t++) {
    if (keeps[t] === W) {
      for (let i = t * W; i < (t + 1) * W; i++) if (c.states[i] !== INVALID) evicted.push(i);
      continue;
    }
    held.length = 0;
    for (let i = t * W; i < (t + 1) * W; i++) if (c.states[i] !== INVALID) held.push(i);
    held.sort((a, b) => c.stamps[b] - c.stamps[a]);
    for (let k = W - keeps[t]; k < held.length; k++) evicted.push(held[k]);
  }
  evictLines(s, evicted, 'evict');

  // The other lines pass through: a read takes memory's bytes, a write leaves its bytes there.
  let lo = Infinity;
  let hi = -Infinity;
  let k = 0;
  for (let b = 0; b < body.length; b++) {
    const sp = body[b];
    lo = Math.min(lo, sp.first);
    hi = Math.max(hi, sp.last);
    if (op.kind === 'read') appendRuns(out[sp.piece], readRuns(s.mem, sp.phys, sp.len));
    let at = sp.phys;
    for (; k < kept.lines.length && kept.spans[k] === b; k++) {
      const lineStart = kept.lines[k] * L;
      if (op.kind === 'write' && lineStart > at) writeRuns(s.mem, at, sliceRuns(op.runs, sp.pos + at - sp.phys, lineStart - at));
      at = Math.max(at, lineStart + L);
    }
    if (op.kind === 'write' && at < sp.phys + sp.len) writeRuns(s.mem, at, sliceRuns(op.runs, sp.pos + at - sp.phys, sp.phys + sp.len - at));
  }
  flushLineSummary(s, { lo, hi, count: lineTotal(body) - kept.lines.length, to: 'I', cause });

  // The lines the sets keep, in the order the access reached them, a stretch of adjacent lines of a span at a time.
  const changes = new LineChanges(s, lineState(op), cause);
  for (let j = 0; j < kept.lines.length; ) {
    let n = 1;
    while (j + n < kept.lines.length && kept.spans[j + n] === kept.spans[j] && kept.lines[j + n] === kept.lines[j] + n) n++;
    install(s, body[kept.spans[j]], kept.lines[j], n, op, changes);
    j += n;
  }
  changes.done();

  const tailStart = Math.max(end.phys, tailFirst * L);
  const tailLen = end.phys + end.len - tailStart;
  appendRuns(out[end.piece], cpuAccess(s, tailStart, tailLen, partOf(op, end.pos + tailStart - end.phys, tailLen)));
}

/**
 * Fills lines [first, +n) of span `sp` into Invalid ways of their sets, as the access leaves them: a write's bytes
 * over memory's, or memory's bytes (lines holding one run share its array, as `cpuAccess` shares it).
 */
function install(s: MachineState, sp: Span, first: number, n: number, op: CpuOp, changes: LineChanges): void {
  const c = s.cache;
  const L = c.line;
  const lo = first * L;
  const hi = lo + n * L;
  let runs = readRuns(s.mem, lo, n * L);
  if (op.kind === 'write') {
    const a = Math.max(lo, sp.phys);
    runs = overwriteRuns(runs, a - lo, sliceRuns(op.runs, sp.pos + a - sp.phys, Math.min(hi, sp.phys + sp.len) - a));
  }
  const state = lineState(op);
  const { sets, ways, states } = c;
  forEachLineGroup(runs, L, (data, k, count) => {
    for (let ln = first + k; ln < first + k + count; ln++) {
      let idx = (ln % sets) * ways;
      while (states[idx] !== INVALID) idx++;
      fillSlot(s, idx, ln, state, data);
      changes.line(idx, ln, INVALID);
    }
  });
}

/** Per set, how many lines of the spans it keeps: all it receives, up to its ways (counted per span, not per line). */
function linesKept(spans: readonly Span[], S: number, W: number): Int32Array {
  // A span of n lines from line a gives every set floor(n / S) lines and the n % S sets from a % S one more.
  let base = 0;
  const diff = new Float64Array(S + 1);
  for (const sp of spans) {
    const n = sp.last - sp.first + 1;
    base += Math.floor(n / S);
    const rem = n % S;
    const a = sp.first % S;
    if (rem === 0) continue;
    diff[a]++;
    if (a + rem <= S) diff[a + rem]--;
    else {
      diff[S]--;
      diff[0]++;
      diff[a + rem - S]--;
    }
  }
  const count = new Int32Array(S);
  let run = 0;
  for (let t = 0; t < S; t++) {
    run += diff[t];
    count[t] = Math.min(W, base + run);
  }
  return count;
}

/**
 * The last `count[t]` lines of each set t among the spans' lines, in access order, with the index of their span:
 * found from the end, line by line, as a rule within the last lines the cache holds.
 */
function lastLines(spans: readonly Span[], S: number, count: Int32Array): { lines: number[]; spans: number[] } {
  const want = count.slice();
  const total = count.reduce((a, b) => a + b, 0);
  const lines = new Array<number>(total);
  const of = new Array<number>(total);
  let n = total;
  for (let k = spans.length - 1; k >= 0 && n > 0; k--) {
    for (let ln = spans[k].last; ln >= spans[k].first && n > 0; ln--) {
      const t = ln % S;
      if (want[t] > 0) {
        want[t]--;
        lines[--n] = ln;
        of[n] = k;
      }
    }
  }
  return { lines, spans: of };
}
