// Byte data as runs of (length, value, write sequence number): the currency of memory, cache lines and copies.

/** `len` bytes of `value`, all written by the write numbered `seq` (0: the zero fill before the first statement). */
export interface DataRun {
  readonly len: number;
  readonly value: number;
  readonly seq: number;
}

/** Bytes as the program sees them: values only. */
export interface ByteRun {
  len: number;
  value: number;
}

/** Appends a run, merging it into the last one when value and sequence number match. */
export function pushRun(out: DataRun[], r: DataRun): void {
  if (r.len <= 0) return;
  const last = out[out.length - 1];
  if (last && last.value === r.value && last.seq === r.seq) out[out.length - 1] = { len: last.len + r.len, value: r.value, seq: r.seq };
  else out.push(r);
}

export function runsLength(runs: readonly DataRun[]): number {
  let n = 0;
  for (const r of runs) n += r.len;
  return n;
}

/** The runs covering [off, off+len) of `runs`. */
export function sliceRuns(runs: readonly DataRun[], off: number, len: number): DataRun[] {
  const out: DataRun[] = [];
  let pos = 0;
  const end = off + len;
  for (const r of runs) {
    const rEnd = pos + r.len;
    if (rEnd > off && pos < end) {
      const a = Math.max(pos, off);
      const b = Math.min(rEnd, end);
      pushRun(out, a === pos && b === rEnd ? r : { len: b - a, value: r.value, seq: r.seq });
    }
    pos = rEnd;
    if (pos >= end) break;
  }
  return out;
}

/** `runs` with [off, off+repl's length) replaced by `repl`. */
export function overwriteRuns(runs: readonly DataRun[], off: number, repl: readonly DataRun[]): DataRun[] {
  const total = runsLength(runs);
  const replLen = runsLength(repl);
  const out = sliceRuns(runs, 0, off);
  for (const r of repl) pushRun(out, r);
  for (const r of sliceRuns(runs, off + replLen, total - off - replLen)) pushRun(out, r);
  return out;
}

/**
 * Accumulates runs without allocating per piece: the run being extended is kept as numbers and only
 * materialised when the next piece differs. Used on the per-line paths of the cache.
 */
export class RunBuilder {
  private readonly out: DataRun[] = [];
  private len = 0;
  private value = 0;
  private seq = 0;

  add(len: number, value: number, seq: number): void {
    if (len <= 0) return;
    if (this.len > 0 && value === this.value && seq === this.seq) {
      this.len += len;
      return;
    }
    this.flush();
    this.len = len;
    this.value = value;
    this.seq = seq;
  }

  /** Adds bytes [off, +len) of `runs`. */
  addSlice(runs: readonly DataRun[], off = 0, len = Infinity): void {
    let pos = 0;
    const end = off + len;
    for (const r of runs) {
      const a = Math.max(pos, off);
      const b = Math.min(pos + r.len, end);
      if (a < b) this.add(b - a, r.value, r.seq);
      pos += r.len;
      if (pos >= end) break;
    }
  }

  private flush(): void {
    if (this.len > 0) this.out.push({ len: this.len, value: this.value, seq: this.seq });
    this.len = 0;
  }

  done(): DataRun[] {
    this.flush();
    return this.out;
  }
}

/** Appends all of `more` to `out`, coalescing. */
export function appendRuns(out: DataRun[], more: readonly DataRun[]): void {
  for (const r of more) pushRun(out, r);
}

/** Values only, adjacent equal values merged. */
export function toByteRuns(runs: readonly DataRun[]): ByteRun[] {
  const out: ByteRun[] = [];
  for (const r of runs) {
    const last = out[out.length - 1];
    if (last && last.value === r.value) last.len += r.len;
    else if (r.len > 0) out.push({ len: r.len, value: r.value });
  }
  return out;
}

/**
 * Walks several run lists over the same span in step: calls `visit(pos, len, items)` for each piece
 * on which every list holds a single run. Cost grows with the runs, never with bytes.
 */
export function zipRuns(lists: readonly (readonly DataRun[])[], visit: (pos: number, len: number, items: DataRun[]) => void): void {
  const idx = lists.map(() => 0);
  const used = lists.map(() => 0);
  let pos = 0;
  for (;;) {
    let step = Infinity;
    for (let k = 0; k < lists.length; k++) {
      const r = lists[k][idx[k]];
      if (!r) return;
      step = Math.min(step, r.len - used[k]);
    }
    visit(pos, step, lists.map((l, k) => l[idx[k]]));
    pos += step;
    for (let k = 0; k < lists.length; k++) {
      used[k] += step;
      if (used[k] === lists[k][idx[k]].len) {
        idx[k]++;
        used[k] = 0;
      }
    }
  }
}

/**
 * Two views of the same bytes laid one over the other (cached lines over memory): per byte, `under`'s run, unless
 * `over`'s wins by `wins`.
 */
export function overlay(under: readonly DataRun[], over: readonly DataRun[], wins: (over: DataRun, under: DataRun) => boolean): DataRun[] {
  const out: DataRun[] = [];
  zipRuns([under, over], (_p, l, [u, o]) => pushRun(out, { ...(wins(o, u) ? o : u), len: l }));
  return out;
}

/** A cached run over memory wins where a line holds the byte at all (what the CPU, or a snooping device, reads). */
export const cached = (c: DataRun): boolean => c.seq >= 0;
