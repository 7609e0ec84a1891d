// A cacheable CPU access over the scattered pieces of one buffer (vmalloc's pages, a dma-buf's page runs), in their
// order: what simulating each piece line by line (`cpuAccess`) leaves in memory and the cache, at a cost that
// follows the pieces and the cache's size, not the bytes. An LRU set holds the lines referenced in it most recently,
// so an access of many distinct lines that all miss leaves each set holding its last lines of the access, and of
// what it held before the most recent, if ways are left; every other line of the access passes through to memory.
// The pieces holding lines cached when the access starts that it may still find cached (early in it, or in a set
// that gets few of its lines) are simulated line by line; any other cached line of the access is pushed out of its
// set before the access reaches it, and so it is evicted first here.

import { CLEAN, CpuOp, DIRTY, INVALID, LineChanges, cpuAccess, drop, flushLineSummary, lineCount, writeBack } from './cache';
import type { LineCause } from './events';
import { PAGE } from './layout';
import { readRuns, writeRuns } from './memory';
import { DataRun, appendRuns, overwriteRuns, sliceRuns } from './runs';
import type { MachineState } from './state';

export interface Piece {
  phys: number;
  len: number;
}

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
 * read. Pieces that meet inside a page, or overlap, or a bounce copy, are accessed one by one.
 */
export function cpuAccessPieces(s: MachineState, pieces: readonly Piece[], op: CpuOp): DataRun[][] {
  const L = s.cache.line;
  const out = pieces.map((): DataRun[] => []);
  const spans: Span[] = [];
  let pos = 0;
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i];
    if (p.len > 0) spans.push({ piece: i, phys: p.phys, len: p.len, pos, first: Math.floor(p.phys / L), last: Math.floor((p.phys + p.len - 1) / L) });
    pos += Math.max(0, p.len);
  }
  if ((op.kind === 'write' && op.copy) || !apart(spans, L) || lineTotal(spans) <= 2 * lineCount(s.cache)) {
    oneByOne(s, spans, op, out);
    return out;
  }
  // The pieces that may find a line still cached are simulated line by line; those between them, streamed.
  const exact = mayHit(s, spans);
  let from = 0;
  for (let k = 0; k <= spans.length; k++) {
    if (k < spans.length && !exact[k]) continue;
    const run = spans.slice(from, k);
    if (lineTotal(run) > 2 * lineCount(s.cache)) streamed(s, run, op, out);
    else oneByOne(s, run, op, out);
    if (k < spans.length) oneByOne(s, [spans[k]], op, out);
    from = k + 1;
  }
  return out;
}

function oneByOne(s: MachineState, spans: readonly Span[], op: CpuOp, out: DataRun[][]): void {
  for (const sp of spans) appendRuns(out[sp.piece], cpuAccess(s, sp.phys, sp.len, partOf(op, sp.pos, sp.len)));
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

/** The span (of `sorted`) holding line `ln`, or undefined. */
function holding(sorted: readonly Span[], ln: number): Span | undefined {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid].last < ln) lo = mid + 1;
    else if (sorted[mid].first > ln) hi = mid - 1;
    else return sorted[mid];
  }
  return undefined;
}

/**
 * Per span, whether it holds a line cached now that the access may find still cached when it reaches it: its set
 * got fewer than ways + 2 lines of the access before it (prefetch may add two). Any other cached line of the
 * access is pushed out of its set before the access reaches it.
 */
function mayHit(s: MachineState, spans: readonly Span[]): boolean[] {
  const c = s.cache;
  const exact = spans.map(() => false);
  if (c.valid === 0) return exact;
  const sorted = byAddress(spans);
  const index = new Map(spans.map((sp, k) => [sp, k]));
  const cached: { span: number; ln: number }[] = [];
  for (let i = 0; i < lineCount(c); i++) {
    if (c.states[i] === INVALID) continue;
    const sp = holding(sorted, c.tags[i]);
    if (sp) cached.push({ span: index.get(sp)!, ln: c.tags[i] });
  }
  cached.sort((a, b) => a.span - b.span || a.ln - b.ln);
  const margin = c.ways + 2;
  const seen = new Int32Array(c.sets);
  let sets = 0;
  let q = 0;
  for (let k = 0; k < spans.length && q < cached.length; k++) {
    for (let ln = spans[k].first; ln <= spans[k].last && q < cached.length; ln++) {
      const t = ln % c.sets;
      if (cached[q].span === k && cached[q].ln === ln) {
        if (seen[t] < margin) exact[k] = true;
        q++;
      }
      // Once every set has seen that many lines of the access, no line cached now is still cached when reached.
      if (++seen[t] === margin && ++sets === c.sets) return exact;
    }
  }
  return exact;
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
  const cause: LineCause = op.kind === 'write' ? 'write' : op.kind === 'read' ? 'fill' : op.cause;

  // Lines of the access cached now are evicted before the access reaches them.
  const sorted = byAddress(body);
  const reached: number[] = [];
  for (let i = 0; i < lineCount(c); i++) if (c.states[i] !== INVALID && holding(sorted, c.tags[i])) reached.push(i);
  writeBack(s, reached, 'evict');
  drop(s, reached, 'evict');

  // How many lines of the access each set receives, and the last (up to its ways) of them, which it keeps.
  const keeps = linesKept(body, S, W);
  const kept = lastLines(body, S, keeps);

  // What each set held keeps the ways its new lines leave, most recent first; the rest is evicted.
  const evicted: number[] = [];
  for (let t = 0; t < S; t++) {
    const held: number[] = [];
    for (let w = 0; w < W; w++) if (c.states[t * W + w] !== INVALID) held.push(t * W + w);
    held.sort((a, b) => c.stamps[b] - c.stamps[a]);
    for (let k = W - keeps[t]; k < held.length; k++) evicted.push(held[k]);
  }
  writeBack(s, evicted, 'evict');
  drop(s, evicted, 'evict');

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
    for (; k < kept.length && kept[k].span === b; k++) {
      const lineStart = kept[k].ln * L;
      if (op.kind === 'write' && lineStart > at) writeRuns(s.mem, at, sliceRuns(op.runs, sp.pos + at - sp.phys, lineStart - at));
      at = Math.max(at, lineStart + L);
    }
    if (op.kind === 'write' && at < sp.phys + sp.len) writeRuns(s.mem, at, sliceRuns(op.runs, sp.pos + at - sp.phys, sp.phys + sp.len - at));
  }
  flushLineSummary(s, { lo, hi, count: lineTotal(body) - kept.length, to: 'I', cause });

  // The lines the sets keep, in the order the access reached them.
  const state = op.kind === 'write' ? DIRTY : CLEAN;
  const changes = new LineChanges(s, state, cause);
  for (const { ln, span } of kept) {
    const sp = body[span];
    const t = ln % S;
    let idx = t * W;
    while (c.states[idx] !== INVALID) idx++;
    const lineStart = ln * L;
    const from = Math.max(lineStart, sp.phys);
    const to = Math.min(lineStart + L, sp.phys + sp.len);
    let data: DataRun[];
    if (op.kind !== 'write') data = readRuns(s.mem, lineStart, L);
    else {
      const mine = sliceRuns(op.runs, sp.pos + from - sp.phys, to - from);
      data = to - from === L ? mine : overwriteRuns(readRuns(s.mem, lineStart, L), from - lineStart, mine);
    }
    c.tags[idx] = ln;
    c.states[idx] = state;
    c.data[idx] = data;
    c.filledAt[idx] = s.loc;
    c.stamps[idx] = ++c.clock;
    c.valid++;
    changes.line(idx, ln, INVALID);
  }
  changes.done();

  const tailStart = Math.max(end.phys, tailFirst * L);
  const tailLen = end.phys + end.len - tailStart;
  appendRuns(out[end.piece], cpuAccess(s, tailStart, tailLen, partOf(op, end.pos + tailStart - end.phys, tailLen)));
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
function lastLines(spans: readonly Span[], S: number, count: Int32Array): { ln: number; span: number }[] {
  const want = count.slice();
  const total = count.reduce((a, b) => a + b, 0);
  const found: { ln: number; span: number }[] = [];
  for (let k = spans.length - 1; k >= 0 && found.length < total; k--) {
    for (let ln = spans[k].last; ln >= spans[k].first && found.length < total; ln--) {
      const t = ln % S;
      if (want[t] > 0) {
        want[t]--;
        found.push({ ln, span: k });
      }
    }
  }
  return found.reverse();
}
