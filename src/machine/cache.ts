// The CPU data cache down to the point of coherency (spec §3 `cache`, §5): set-associative, write-back,
// write-allocate, LRU; lines Invalid/Clean/Dirty holding data runs; next-line and speculative prefetch;
// clean / invalidate / clean+invalidate by range; capacity eviction with write-back. Large ranges are exact but
// summarised, so cost follows the cache's size, never the bytes of a range.

import type { LineCause, LineState } from './events';
import type { Loc } from './hazards';
import { PAGE } from './layout';
import { readRuns, writeRuns } from './memory';
import { checkLost } from './newest';
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

const INVALID = 0;
const CLEAN = 1;
const DIRTY = 2;
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
  /** Line events beyond the per-operation budget, summarised at the end of the operation. */
  summary?: { lo: number; hi: number; count: number; to: LineState; cause: LineCause };
}

function powerOfTwoAtLeast(n: number, min: number): number {
  let p = min;
  while (p < n) p *= 2;
  return p;
}

export function createCache(cfg: CacheConfig): CacheState {
  const line = powerOfTwoAtLeast(Math.max(1, Math.floor(cfg.line)), 16);
  const ways = Math.max(1, Math.floor(cfg.ways));
  const sets = Math.max(1, Math.floor(cfg.size / (ways * line)));
  const n = sets * ways;
  return {
    line, ways, sets, prefetch: cfg.prefetch,
    tags: new Float64Array(n).fill(-1), states: new Uint8Array(n), stamps: new Float64Array(n),
    data: new Array<DataRun[] | null>(n).fill(null), filledAt: new Array<Loc | null>(n).fill(null), clock: 0,
  };
}

export const lineCount = (c: CacheState): number => c.sets * c.ways;
export const stateOf = (c: CacheState, idx: number): LineState => STATE_LETTER[c.states[idx]];

export function findLine(c: CacheState, lineNo: number): number {
  const base = (lineNo % c.sets) * c.ways;
  for (let w = 0; w < c.ways; w++) if (c.tags[base + w] === lineNo) return base + w;
  return -1;
}

function record(s: MachineState, idx: number, lineNo: number, from: number, to: number, cause: LineCause): void {
  const c = s.cache;
  if (!s.recording) return;
  if (s.lineEventBudget > 0) {
    s.lineEventBudget--;
    emit(s, { type: 'line', set: Math.floor(idx / c.ways), way: idx % c.ways, phys: lineNo * c.line, from: STATE_LETTER[from], to: STATE_LETTER[to], cause });
    return;
  }
  const sum = c.summary;
  if (sum) {
    sum.lo = Math.min(sum.lo, lineNo);
    sum.hi = Math.max(sum.hi, lineNo);
    sum.count++;
    sum.to = STATE_LETTER[to];
    sum.cause = cause;
  } else c.summary = { lo: lineNo, hi: lineNo, count: 1, to: STATE_LETTER[to], cause };
}

/** Records one change (`from` the line's state unless given, to `to`) for many lines at once. */
function recordMany(s: MachineState, idxs: readonly number[], to: number, cause: LineCause, from?: number, start = 0, end = idxs.length): void {
  const c = s.cache;
  if (!s.recording) return;
  let k = start;
  for (; k < end && s.lineEventBudget > 0; k++) record(s, idxs[k], c.tags[idxs[k]], from ?? c.states[idxs[k]], to, cause);
  if (k === end) return;
  let lo = Infinity;
  let hi = -Infinity;
  const count = end - k;
  for (; k < end; k++) {
    const tag = c.tags[idxs[k]];
    if (tag < lo) lo = tag;
    if (tag > hi) hi = tag;
  }
  const sum = c.summary ?? (c.summary = { lo, hi, count: 0, to: STATE_LETTER[to], cause });
  sum.lo = Math.min(sum.lo, lo);
  sum.hi = Math.max(sum.hi, hi);
  sum.count += count;
  sum.to = STATE_LETTER[to];
  sum.cause = cause;
}

/** Emits the summary of line events past the budget, as one range event. */
export function flushLineSummary(s: MachineState, extra?: { lo: number; hi: number; count: number; to: LineState; cause: LineCause }): void {
  const c = s.cache;
  const sum = c.summary;
  c.summary = undefined;
  for (const x of [sum, extra]) {
    if (x && x.count > 0) emit(s, { type: 'lines', phys: x.lo * c.line, len: (x.hi - x.lo + 1) * c.line, count: x.count, to: x.to, cause: x.cause });
  }
}

/** Drops lines without writing them back. */
function drop(s: MachineState, idxs: readonly number[], cause: LineCause): void {
  const c = s.cache;
  recordMany(s, idxs, INVALID, cause);
  for (const i of idxs) {
    c.tags[i] = -1;
    c.states[i] = INVALID;
    c.data[i] = null;
    c.filledAt[i] = null;
  }
}

/** The line indexes `keep` accepts among `idxs` (every line when omitted), in an array of exact size. */
function pick(c: CacheState, keep: (i: number) => boolean, idxs?: readonly number[]): number[] {
  const n = idxs ? idxs.length : lineCount(c);
  let count = 0;
  for (let k = 0; k < n; k++) if (keep(idxs ? idxs[k] : k)) count++;
  const out = new Array<number>(count);
  count = 0;
  for (let k = 0; k < n; k++) {
    const i = idxs ? idxs[k] : k;
    if (keep(i)) out[count++] = i;
  }
  return out;
}

/** Line indexes ordered by address (reordering `idxs` itself): by bucket when their addresses are dense (a bulk range), else by sorting. */
function byAddress(c: CacheState, idxs: number[]): number[] {
  if (idxs.length < 2) return idxs;
  let lo = Infinity;
  let hi = -Infinity;
  for (const i of idxs) {
    lo = Math.min(lo, c.tags[i]);
    hi = Math.max(hi, c.tags[i]);
  }
  if (hi - lo + 1 > 4 * idxs.length) return idxs.sort((a, b) => c.tags[a] - c.tags[b]);
  const bucket = new Int32Array(hi - lo + 1).fill(-1);
  for (const i of idxs) bucket[c.tags[i] - lo] = i;
  let k = 0;
  for (const i of bucket) if (i >= 0) idxs[k++] = i;
  return idxs;
}

/**
 * Writes Dirty lines back to memory (adjacent lines as one memory write) and marks them Clean.
 * The data a write-back overwrites in memory may be a lost write.
 */
function writeBack(s: MachineState, idxs: number[], cause: LineCause): void {
  const c = s.cache;
  const dirty = byAddress(c, pick(c, (i) => c.states[i] === DIRTY, idxs));
  let k = 0;
  while (k < dirty.length) {
    const start = c.tags[dirty[k]];
    const runs = new RunBuilder();
    let n = 0;
    const group = k;
    while (k < dirty.length && c.tags[dirty[k]] === start + n) {
      runs.addSlice(c.data[dirty[k]] as DataRun[]);
      k++;
      n++;
    }
    recordMany(s, dirty, CLEAN, cause, undefined, group, k);
    for (let j = group; j < k; j++) c.states[dirty[j]] = CLEAN;
    const phys = start * c.line;
    const old = readRuns(s.mem, phys, n * c.line);
    writeRuns(s.mem, phys, runs.done());
    emit(s, { type: 'writeback', phys, len: n * c.line });
    checkLost(s, phys, old, `write-back of dirty cache lines (${cause})`);
  }
}

/** Capacity eviction of one line: written back if Dirty, then dropped. */
function evict(s: MachineState, idx: number, cause: LineCause): void {
  writeBack(s, [idx], cause);
  drop(s, [idx], cause);
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
  if (c.states[victim] !== INVALID) evict(s, victim, 'evict');
  return victim;
}

function place(s: MachineState, idx: number, lineNo: number, state: number, data: DataRun[], cause: LineCause): void {
  const c = s.cache;
  c.tags[idx] = lineNo;
  c.states[idx] = state;
  c.data[idx] = data;
  c.filledAt[idx] = s.loc;
  c.stamps[idx] = ++c.clock;
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
    if (op.copy) checkLost(s, lineNo * c.line + from, sliceRuns(data, from, len), 'a bounce copy');
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
  for (let i = 0; i < lineCount(c); i++) if (c.states[i] !== INVALID && c.tags[i] >= lo && c.tags[i] <= hi) return true;
  return false;
}

/** Capacity eviction of every line (dirty ones written back, adjacent lines together). */
export function evictAll(s: MachineState): number {
  const idxs = pick(s.cache, (i) => s.cache.states[i] !== INVALID);
  writeBack(s, idxs, 'evict');
  drop(s, idxs, 'evict');
  return idxs.length;
}

/** Calls `visit` with the data of each full line of `runs`, in order; lines holding a single run share one array. */
function forEachLine(runs: readonly DataRun[], line: number, visit: (data: DataRun[], k: number) => void): void {
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
        while (left >= line) {
          visit(one, k++);
          left -= line;
        }
        continue;
      }
      const take = Math.min(left, line - used);
      pushRun(cur, { len: take, value: r.value, seq: r.seq });
      used += take;
      left -= take;
      if (used === line) {
        visit(cur, k++);
        cur = [];
        used = 0;
      }
    }
  }
}

/**
 * Installs full lines [lo, hi] of an access into an emptied cache, in address order: what line-by-line
 * simulation leaves there, without its per-line work.
 */
function installLines(s: MachineState, phys: number, lo: number, hi: number, op: CpuOp, out: RunBuilder): void {
  if (hi < lo) return;
  const L = s.cache.line;
  const a = lo * L;
  const n = (hi - lo + 1) * L;
  const src = op.kind === 'write' ? sliceRuns(op.runs, a - phys, n) : readRuns(s.mem, a, n);
  if (op.kind === 'read') out.addSlice(src);
  const state = op.kind === 'write' ? DIRTY : CLEAN;
  const cause: LineCause = op.kind === 'write' ? 'write' : op.kind === 'read' ? 'fill' : op.cause;
  const c = s.cache;
  forEachLine(src, L, (data, k) => {
    const idx = makeRoom(s, lo + k);
    c.tags[idx] = lo + k;
    c.states[idx] = state;
    c.data[idx] = data;
    c.filledAt[idx] = s.loc;
    c.stamps[idx] = ++c.clock;
    record(s, idx, lo + k, INVALID, state, cause);
  });
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
    const old = op.copy ? readRuns(s.mem, a, n) : [];
    writeRuns(s.mem, a, sliceRuns(op.runs, a - phys, n));
    if (op.copy) checkLost(s, a, old, 'a bounce copy');
  }
  flushLineSummary(s, { lo: passFrom, hi: tailFirst - 1, count: tailFirst - passFrom, to: 'I', cause: op.kind === 'write' ? 'write' : op.kind === 'read' ? 'fill' : op.cause });
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
  if (len <= 0) return [];
  const first = Math.floor(phys / c.line);
  const last = Math.floor((phys + len - 1) / c.line);
  const out: number[] = [];
  if (last - first + 1 > lineCount(c)) {
    for (let i = 0; i < lineCount(c); i++) if (c.states[i] !== INVALID && c.tags[i] >= first && c.tags[i] <= last) out.push(i);
    return sorted ? byAddress(c, out) : out;
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
  const cleaned = op === 'invalidate' ? partialEdges(c, phys, len) : idxs;
  let dirtyCount = 0;
  for (const i of cleaned) if (c.states[i] === DIRTY) dirtyCount++;
  writeBack(s, cleaned, 'clean');
  if (op === 'clean') {
    emit(s, { type: 'clean', phys, len, lines: dirtyCount });
    return;
  }
  const destroyed: { phys: number; data: DataRun[] }[] = [];
  for (const i of idxs) if (c.states[i] === DIRTY) destroyed.push({ phys: c.tags[i] * c.line, data: c.data[i] as DataRun[] });
  drop(s, idxs, 'invalidate');
  emit(s, { type: 'invalidate', phys, len, lines: idxs.length });
  for (const d of destroyed) checkLost(s, d.phys, d.data, 'invalidating dirty cache lines');
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
  writeBack(s, idxs, 'evict');
  drop(s, idxs, 'evict');
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
