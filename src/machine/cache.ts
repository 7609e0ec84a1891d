// The CPU data cache down to the point of coherency (spec §3 `cache`, §5): set-associative, write-back,
// write-allocate, LRU; lines Invalid/Clean/Dirty holding data runs; next-line and speculative prefetch;
// clean / invalidate / clean+invalidate by range; capacity eviction with write-back. Large ranges are exact but
// summarised, so cost follows the cache's size, never the bytes of a range.

import type { LineCause, LineState } from './events';
import type { Loc } from './hazards';
import { PAGE } from './layout';
import { readRuns, writeRuns } from './memory';
import { checkLost, storeOver } from './newest';
import { emit } from './report';
import { DataRun, RunBuilder, appendRuns, overwriteRuns, pushRun, sliceRuns } from './runs';
import type { MachineState } from './state';

export type Prefetch = 'none' | 'next-line' | 'speculative';

export interface CacheConfig {
  size: number;
  ways: number;
  line: number;
  prefetch: Prefetch;
}

export const INVALID = 0;
export const CLEAN = 1;
export const DIRTY = 2;
const STATE_LETTER: LineState[] = ['I', 'C', 'D'];

/** Way `w` of set `t` is slot t*ways+w of the parallel arrays. */
export interface CacheState {
  line: number;
  ways: number;
  sets: number;
  prefetch: Prefetch;
  /** Line number (phys / line) held, -1 when Invalid. Typed arrays: the bulk paths walk them. */
  tags: Float64Array;
  states: Uint8Array;
  /** Last use, for LRU. */
  stamps: Float64Array;
  data: (DataRun[] | null)[];
  /** The statement that filled the line, for messages about stale lines. */
  filledAt: (Loc | null)[];
  clock: number;
  /** How many lines are valid: the walks over every line are skipped when none is. */
  valid: number;
  /** Line events beyond the per-operation budget, summarised at the end of the operation: one per new state and cause. */
  summary?: LineSummary[];
}

/** `count` lines within [lo, hi] that changed to `to` for `cause`. */
export interface LineSummary {
  lo: number;
  hi: number;
  count: number;
  to: LineState;
  cause: LineCause;
}

function powerOfTwoAtLeast(n: number, min: number): number {
  let p = min;
  while (p < n) p *= 2;
  return p;
}

export function createCache(cfg: CacheConfig): CacheState {
  const line = powerOfTwoAtLeast(Math.max(1, Math.floor(cfg.line)), 8);
  const ways = Math.max(1, Math.floor(cfg.ways));
  const sets = Math.max(1, Math.floor(cfg.size / (ways * line)));
  const n = sets * ways;
  return {
    line, ways, sets, prefetch: cfg.prefetch,
    tags: new Float64Array(n).fill(-1), states: new Uint8Array(n), stamps: new Float64Array(n),
    data: new Array<DataRun[] | null>(n).fill(null), filledAt: new Array<Loc | null>(n).fill(null), clock: 0,
    valid: 0, summary: undefined,
  };
}

export const lineCount = (c: CacheState): number => c.sets * c.ways;
export const stateOf = (c: CacheState, idx: number): LineState => STATE_LETTER[c.states[idx]];

export function findLine(c: CacheState, lineNo: number): number {
  const base = (lineNo % c.sets) * c.ways;
  for (let w = 0; w < c.ways; w++) if (c.tags[base + w] === lineNo) return base + w;
  return -1;
}

/** Emits one line's change as its own event while the operation's budget lasts; false when it is left for the summary. */
function emitLine(s: MachineState, idx: number, lineNo: number, from: number, to: number, cause: LineCause): boolean {
  const c = s.cache;
  if (!s.recording) return true;
  if (s.lineEventBudget <= 0) return false;
  s.lineEventBudget--;
  emit(s, { type: 'line', set: Math.floor(idx / c.ways), way: idx % c.ways, phys: lineNo * c.line, from: STATE_LETTER[from], to: STATE_LETTER[to], cause });
  return true;
}

function record(s: MachineState, idx: number, lineNo: number, from: number, to: number, cause: LineCause): void {
  if (!emitLine(s, idx, lineNo, from, to, cause)) summarise(s.cache, lineNo, lineNo, 1, to, cause);
}

/** The changes of many lines to one state in one loop: events while the budget lasts, then one summary update. */
export class LineChanges {
  private lo = Infinity;
  private hi = -Infinity;
  private count = 0;

  constructor(private readonly s: MachineState, private readonly to: number, private readonly cause: LineCause) {}

  line(idx: number, lineNo: number, from: number): void {
    if (emitLine(this.s, idx, lineNo, from, this.to, this.cause)) return;
    if (lineNo < this.lo) this.lo = lineNo;
    if (lineNo > this.hi) this.hi = lineNo;
    this.count++;
  }

  done(): void {
    if (this.count > 0) summarise(this.s.cache, this.lo, this.hi, this.count, this.to, this.cause);
  }
}

/**
 * Adds `count` line changes to `to` within lines [lo, hi] to the operation's summary, to the entry of the same new
 * state and cause: a bounce's fills of the original and writes of the slot are two entries, not one that says
 * every line went Dirty.
 */
function summarise(c: CacheState, lo: number, hi: number, count: number, to: number, cause: LineCause): void {
  const state = STATE_LETTER[to];
  const sum = c.summary?.find((x) => x.to === state && x.cause === cause);
  if (sum) {
    if (lo < sum.lo) sum.lo = lo;
    if (hi > sum.hi) sum.hi = hi;
    sum.count += count;
  } else (c.summary ??= []).push({ lo, hi, count, to: state, cause });
}

/** Emits the summaries of line events past the budget (and `extra`), one range event each. */
export function flushLineSummary(s: MachineState, extra?: LineSummary): void {
  const c = s.cache;
  const sums = c.summary ?? [];
  c.summary = undefined;
  for (const x of extra ? [...sums, extra] : sums) {
    if (x.count === 0) continue;
    const lines = x.hi - x.lo + 1;
    // Scattered: most of the span holds none of them (the lines shown one by one before them lie in it too).
    emit(s, { type: 'lines', phys: x.lo * c.line, len: lines * c.line, count: x.count, to: x.to, cause: x.cause, ...(x.count * 2 < lines ? { scattered: true } : {}) });
  }
}

/** Drops lines without writing them back. */
function drop(s: MachineState, idxs: readonly number[], cause: LineCause): void {
  const c = s.cache;
  const { tags, states, data, filledAt } = c;
  const changes = new LineChanges(s, INVALID, cause);
  for (let k = 0; k < idxs.length; k++) {
    const i = idxs[k];
    changes.line(i, tags[i], states[i]);
    if (states[i] !== INVALID) c.valid--;
    tags[i] = -1;
    states[i] = INVALID;
    data[i] = null;
    filledAt[i] = null;
  }
  changes.done();
}

/** The indexes of every valid line. */
function validLines(c: CacheState): number[] {
  const out: number[] = [];
  if (c.valid === 0) return out;
  for (let i = 0; i < lineCount(c); i++) if (c.states[i] !== INVALID) out.push(i);
  return out;
}

/**
 * The line indexes among `idxs` whose state is at least `min`, ordered by address: by bucket when their
 * addresses are dense (a bulk range), else by sorting.
 */
function byAddress(c: CacheState, idxs: readonly number[], min: number): number[] {
  let lo = Infinity;
  let hi = -Infinity;
  let count = 0;
  for (let k = 0; k < idxs.length; k++) {
    if (c.states[idxs[k]] < min) continue;
    const tag = c.tags[idxs[k]];
    if (tag < lo) lo = tag;
    if (tag > hi) hi = tag;
    count++;
  }
  const out = new Array<number>(count);
  if (count < 2 || hi - lo + 1 > 4 * count) {
    let n = 0;
    for (let k = 0; k < idxs.length; k++) if (c.states[idxs[k]] >= min) out[n++] = idxs[k];
    return out.sort((a, b) => c.tags[a] - c.tags[b]);
  }
  // Slot + 1 per line, so that the zero fill means none.
  const bucket = new Int32Array(hi - lo + 1);
  for (let k = 0; k < idxs.length; k++) if (c.states[idxs[k]] >= min) bucket[c.tags[idxs[k]] - lo] = idxs[k] + 1;
  let n = 0;
  for (let b = 0; b < bucket.length; b++) if (bucket[b] > 0) out[n++] = bucket[b] - 1;
  return out;
}

/**
 * Writes Dirty lines back to memory (adjacent lines as one memory write) and marks them Clean; returns how many.
 * The data a write-back overwrites in memory may be a lost write.
 */
function writeBack(s: MachineState, idxs: number[], cause: LineCause): number {
  const c = s.cache;
  const dirty = byAddress(c, idxs, DIRTY);
  const changes = new LineChanges(s, CLEAN, cause);
  let k = 0;
  while (k < dirty.length) {
    const start = c.tags[dirty[k]];
    const runs = new RunBuilder();
    let n = 0;
    for (; k < dirty.length && c.tags[dirty[k]] === start + n; k++, n++) {
      runs.addSlice(c.data[dirty[k]] as DataRun[]);
      changes.line(dirty[k], start + n, DIRTY);
      c.states[dirty[k]] = CLEAN;
    }
    const phys = start * c.line;
    emit(s, { type: 'writeback', phys, len: n * c.line });
    storeOver(s, phys, n * c.line, runs.done(), { kind: 'write-back', cause });
  }
  changes.done();
  return dirty.length;
}

/** Capacity eviction of lines: the Dirty ones written back (adjacent lines together), then all dropped. */
export function evictLines(s: MachineState, idxs: number[], cause: LineCause): void {
  writeBack(s, idxs, cause);
  drop(s, idxs, cause);
}

/** The way a new line takes in its set: an Invalid one, else the least recently used (evicted first). */
function makeRoom(s: MachineState, lineNo: number): number {
  const c = s.cache;
  const base = (lineNo % c.sets) * c.ways;
  let victim = base;
  for (let w = 0; w < c.ways; w++) {
    const i = base + w;
    if (c.states[i] === INVALID) {
      victim = i;
      break;
    }
    if (c.stamps[i] < c.stamps[victim]) victim = i;
  }
  if (c.states[victim] !== INVALID) evictLines(s, [victim], 'evict');
  return victim;
}

/** Fills the Invalid slot `idx` with line `lineNo`, most recently used; the caller reports the change. */
export function fillSlot(s: MachineState, idx: number, lineNo: number, state: number, data: DataRun[]): void {
  const c = s.cache;
  c.tags[idx] = lineNo;
  c.states[idx] = state;
  c.valid++;
  c.data[idx] = data;
  c.filledAt[idx] = s.loc;
  c.stamps[idx] = ++c.clock;
}

function place(s: MachineState, idx: number, lineNo: number, state: number, data: DataRun[], cause: LineCause): void {
  fillSlot(s, idx, lineNo, state, data);
  record(s, idx, lineNo, INVALID, state, cause);
}

/** Makes room for `lineNo` in its set (LRU) and fills it Clean from memory. */
function allocate(s: MachineState, lineNo: number, cause: LineCause): number {
  const idx = makeRoom(s, lineNo);
  place(s, idx, lineNo, CLEAN, readRuns(s.mem, lineNo * s.cache.line, s.cache.line), cause);
  return idx;
}

/** What a CPU access does: load, store (a program write, or a bounce copy carrying older data), or allocate only. */
export type CpuOp =
  | { kind: 'read' }
  | { kind: 'write'; runs: readonly DataRun[]; copy: boolean }
  | { kind: 'alloc'; cause: 'prefetch' | 'speculative' };

/**
 * One line's part of an access: bytes [from, +len) of line `lineNo`, which are bytes [pos, +len) of the op.
 * `whole` is the data of a full line written by a single-run op, shared by every line it fills.
 */
function accessLine(s: MachineState, lineNo: number, from: number, len: number, pos: number, op: CpuOp, out: RunBuilder, whole?: DataRun[]): void {
  const c = s.cache;
  let idx = findLine(c, lineNo);
  if (idx < 0) idx = allocate(s, lineNo, op.kind === 'alloc' ? op.cause : 'fill');
  c.stamps[idx] = ++c.clock;
  const data = c.data[idx] as DataRun[];
  if (op.kind === 'read') out.addSlice(data, from, len);
  else if (op.kind === 'write') {
    const full = from === 0 && len === c.line;
    c.data[idx] = full && whole ? whole : full ? sliceRuns(op.runs, pos, len) : overwriteRuns(data, from, sliceRuns(op.runs, pos, len));
    if (c.states[idx] !== DIRTY) record(s, idx, lineNo, c.states[idx], DIRTY, 'write');
    c.states[idx] = DIRTY;
    if (op.copy) checkLost(s, lineNo * c.line + from, sliceRuns(data, from, len), { kind: 'bounce-copy' });
  }
  if (op.kind !== 'alloc' && c.prefetch !== 'none') prefetchNext(s, lineNo);
}

/** prefetch=next-line (and speculative): lines L+1 and L+2 of the same page are allocated clean if absent. */
function prefetchNext(s: MachineState, lineNo: number): void {
  const c = s.cache;
  const page = Math.floor((lineNo * c.line) / PAGE);
  for (let k = 1; k <= 2; k++) {
    const ln = lineNo + k;
    if (Math.floor((ln * c.line) / PAGE) !== page) break;
    if (findLine(c, ln) < 0) allocate(s, ln, 'prefetch');
  }
}

/** Lines [first, last] of the access, one by one. */
function accessLines(s: MachineState, phys: number, len: number, first: number, last: number, op: CpuOp, out: RunBuilder): void {
  const L = s.cache.line;
  const one = op.kind === 'write' && op.runs.length === 1 ? op.runs[0] : undefined;
  const whole = one ? [{ len: L, value: one.value, seq: one.seq }] : undefined;
  for (let ln = first; ln <= last; ln++) {
    const a = Math.max(phys, ln * L);
    const b = Math.min(phys + len, (ln + 1) * L);
    accessLine(s, ln, a - ln * L, b - a, a - phys, op, out, whole);
  }
}

/** Whether any valid line lies in lines [lo, hi]. */
function anyLineIn(c: CacheState, lo: number, hi: number): boolean {
  if (c.valid === 0) return false;
  for (let i = 0; i < lineCount(c); i++) if (c.states[i] !== INVALID && c.tags[i] >= lo && c.tags[i] <= hi) return true;
  return false;
}

/** Capacity eviction of every line (dirty ones written back, adjacent lines together). */
export function evictAll(s: MachineState): number {
  const idxs = validLines(s.cache);
  evictLines(s, idxs, 'evict');
  return idxs.length;
}

/**
 * Calls `visit` for each group of `count` consecutive full lines of `runs` from line `k` on holding the same
 * `data`, in order: a run spanning many lines is one group; lines holding a single run share one array.
 */
export function forEachLineGroup(runs: readonly DataRun[], line: number, visit: (data: DataRun[], k: number, count: number) => void): void {
  const shared = new Map<string, DataRun[]>();
  let k = 0;
  let cur: DataRun[] = [];
  let used = 0;
  for (const r of runs) {
    let left = r.len;
    while (left > 0) {
      if (used === 0 && left >= line) {
        const key = `${r.value}:${r.seq}`;
        let one = shared.get(key);
        if (!one) shared.set(key, (one = [{ len: line, value: r.value, seq: r.seq }]));
        const count = Math.floor(left / line);
        visit(one, k, count);
        k += count;
        left -= count * line;
        continue;
      }
      const take = Math.min(left, line - used);
      pushRun(cur, { len: take, value: r.value, seq: r.seq });
      used += take;
      left -= take;
      if (used === line) {
        visit(cur, k++, 1);
        cur = [];
        used = 0;
      }
    }
  }
}

/** The state an access leaves the lines it installs in, and why they changed. */
export const lineState = (op: CpuOp): number => (op.kind === 'write' ? DIRTY : CLEAN);
export const lineCause = (op: CpuOp): LineCause => (op.kind === 'write' ? 'write' : op.kind === 'read' ? 'fill' : op.cause);

/**
 * Installs full lines [lo, hi] (fewer than the cache's lines) of an access into an emptied cache, in address
 * order: what line-by-line simulation leaves there, without its per-line work.
 */
function installLines(s: MachineState, phys: number, lo: number, hi: number, op: CpuOp, out: RunBuilder): void {
  if (hi < lo) return;
  const L = s.cache.line;
  const a = lo * L;
  const n = (hi - lo + 1) * L;
  const src = op.kind === 'write' ? sliceRuns(op.runs, a - phys, n) : readRuns(s.mem, a, n);
  if (op.kind === 'read') out.addSlice(src);
  const state = lineState(op);
  const c = s.cache;
  const changes = new LineChanges(s, state, lineCause(op));
  const { tags, states, stamps, sets, ways } = c;
  const loc = s.loc;
  forEachLineGroup(src, L, (data, k, count) => {
    for (let ln = lo + k; ln < lo + k + count; ln++) {
      // The cache was empty: a line takes the first way its set has left, after the range's earlier lines there.
      const idx = (ln % sets) * ways + Math.floor((ln - lo) / sets);
      tags[idx] = ln;
      states[idx] = state;
      c.data[idx] = data;
      c.filledAt[idx] = loc;
      stamps[idx] = ++c.clock;
      changes.line(idx, ln, INVALID);
    }
    c.valid += count;
  });
  changes.done();
}

/**
 * A cacheable CPU access to physical bytes [phys, +len). Exact, and summarised for ranges of more than twice
 * the cache's lines: once the first `lines` range lines have passed, every set holds only range lines, so the
 * middle lines are misses whose net effect is memory traffic; each set ends holding the last lines of the range
 * that map to it. The first lines are simulated one by one only when the cache already holds some of them
 * (otherwise they too only evict what is cached and pass through to memory).
 */
export function cpuAccess(s: MachineState, phys: number, len: number, op: CpuOp): DataRun[] {
  const c = s.cache;
  const out = new RunBuilder();
  if (len <= 0) return [];
  const L = c.line;
  const first = Math.floor(phys / L);
  const last = Math.floor((phys + len - 1) / L);
  const K = lineCount(c);
  if (last - first + 1 <= 2 * K) {
    accessLines(s, phys, len, first, last, op, out);
    return out.done();
  }
  const tailFirst = last - K + 1;
  let passFrom = first;
  if (anyLineIn(c, first, first + K - 1)) {
    accessLines(s, phys, len, first, first + K - 1, op, out);
    passFrom = first + K;
  }
  // Every line now cached is evicted before the tail of the range arrives; the lines between stream through.
  evictAll(s);
  const a = Math.max(phys, passFrom * L);
  const n = tailFirst * L - a;
  if (op.kind === 'read') out.addSlice(readRuns(s.mem, a, n));
  else if (op.kind === 'write') {
    // Each of these lines is written back when a later one evicts it. A program write is newest over its bytes
    // (cpu.write): only a copy's older data can destroy a newer write there.
    const runs = sliceRuns(op.runs, a - phys, n);
    if (op.copy) storeOver(s, a, n, runs, { kind: 'write-back', cause: 'evict' });
    else writeRuns(s.mem, a, runs);
  }
  flushLineSummary(s, { lo: passFrom, hi: tailFirst - 1, count: tailFirst - passFrom, to: 'I', cause: lineCause(op) });
  const simulated = Math.max(tailFirst, last - 1);
  installLines(s, phys, tailFirst, simulated - 1, op, out);
  accessLines(s, phys, len, simulated, last, op, out);
  return out.done();
}

/**
 * Indexes of valid lines within [phys, +len), by address unless `sorted` is false; walks the cache, not the
 * range, when that is shorter.
 */
export function linesIn(c: CacheState, phys: number, len: number, sorted = true): number[] {
  if (len <= 0 || c.valid === 0) return [];
  const first = Math.floor(phys / c.line);
  const last = Math.floor((phys + len - 1) / c.line);
  const out: number[] = [];
  if (last - first + 1 > lineCount(c)) {
    const { tags, states } = c;
    for (let i = 0; i < states.length; i++) if (states[i] !== INVALID && tags[i] >= first && tags[i] <= last) out.push(i);
    return sorted ? byAddress(c, out, CLEAN) : out;
  }
  for (let ln = first; ln <= last; ln++) {
    const i = findLine(c, ln);
    if (i >= 0) out.push(i);
  }
  return out;
}

export type Maintenance = 'clean' | 'invalidate' | 'clean+invalidate';

/**
 * Cache maintenance by physical range, following the whole lines the range touches. Invalidate drops lines
 * without writing them back, except partial lines at either edge, which are cleaned first.
 */
export function maintain(s: MachineState, phys: number, len: number, op: Maintenance): void {
  const c = s.cache;
  const idxs = linesIn(c, phys, len, false);
  const dirtyCount = writeBack(s, op === 'invalidate' ? partialEdges(c, phys, len) : idxs, 'clean');
  if (op === 'clean') {
    emit(s, { type: 'clean', phys, len, lines: dirtyCount });
    return;
  }
  const destroyed: { phys: number; data: DataRun[] }[] = [];
  for (const i of idxs) if (c.states[i] === DIRTY) destroyed.push({ phys: c.tags[i] * c.line, data: c.data[i] as DataRun[] });
  drop(s, idxs, 'invalidate');
  emit(s, { type: 'invalidate', phys, len, lines: idxs.length });
  for (const d of destroyed) checkLost(s, d.phys, d.data, { kind: 'invalidate' });
}

/** The cached lines the range covers only in part: at most its first and its last. */
function partialEdges(c: CacheState, phys: number, len: number): number[] {
  const out: number[] = [];
  const first = Math.floor(phys / c.line);
  const last = Math.floor((phys + len - 1) / c.line);
  const firstPartial = phys % c.line !== 0 || (first === last && (phys + len) % c.line !== 0);
  const lastPartial = last !== first && (phys + len) % c.line !== 0;
  const a = firstPartial ? findLine(c, first) : -1;
  const b = lastPartial ? findLine(c, last) : -1;
  if (a >= 0) out.push(a);
  if (b >= 0) out.push(b);
  return out;
}

/** cache.evict / evict_all: dirty lines are written back, then dropped. */
export function evictRange(s: MachineState, phys: number, len: number): number {
  const idxs = linesIn(s.cache, phys, len, false);
  evictLines(s, idxs, 'evict');
  return idxs.length;
}

/**
 * What the cache holds over [phys, +len): line data where a line is valid, seq -1 where none is.
 * `dirtyOnly` keeps only Dirty lines (what a snooping device sees).
 */
export function cacheView(s: MachineState, phys: number, len: number, dirtyOnly = false): DataRun[] {
  const c = s.cache;
  const out: DataRun[] = [];
  let pos = phys;
  const end = phys + len;
  for (const i of linesIn(c, phys, len)) {
    if (dirtyOnly && c.states[i] !== DIRTY) continue;
    const a = Math.max(phys, c.tags[i] * c.line);
    const b = Math.min(end, (c.tags[i] + 1) * c.line);
    if (a > pos) pushRun(out, { len: a - pos, value: 0, seq: -1 });
    appendRuns(out, sliceRuns(c.data[i] as DataRun[], a - c.tags[i] * c.line, b - a));
    pos = b;
  }
  if (end > pos) pushRun(out, { len: end - pos, value: 0, seq: -1 });
  return out;
}

/** A snooping (coherent) device write: the cache's copies of the written bytes are updated in place. */
export function updateCopies(s: MachineState, phys: number, runs: readonly DataRun[]): void {
  const c = s.cache;
  let len = 0;
  for (const r of runs) len += r.len;
  for (const i of linesIn(c, phys, len)) {
    const a = Math.max(phys, c.tags[i] * c.line);
    const b = Math.min(phys + len, (c.tags[i] + 1) * c.line);
    c.data[i] = overwriteRuns(c.data[i] as DataRun[], a - c.tags[i] * c.line, sliceRuns(runs, a - phys, b - a));
    record(s, i, c.tags[i], c.states[i], c.states[i], 'snoop');
  }
}
