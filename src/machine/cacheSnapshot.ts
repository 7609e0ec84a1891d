// Snapshots of the cache for the debugger: the valid lines only (a long-lived snapshot, small), or every line's
// arrays whole (a short-lived one, quick to take and to hand over), and the cache rebuilt from either.
import { INVALID, type CacheState } from './cache';
import type { Loc } from './hazards';
import type { DataRun } from './runs';

/**
 * A cache frozen for a snapshot: its valid lines only, which for a cache mostly empty is a small part of its
 * arrays. Line data and locations are shared, not copied: a line's runs are replaced, never changed in place.
 * Invalid lines' stamps are not kept: LRU and views read valid lines' stamps only.
 */
export interface CacheSnapshot {
  readonly config: Omit<CacheState, 'tags' | 'states' | 'stamps' | 'data' | 'filledAt'>;
  /** Per valid line, LINE_FIELDS numbers: slot, tag, state, stamp. */
  readonly lines: readonly number[];
  /** Per valid line, its data then the statement that filled it. */
  readonly refs: readonly (DataRun[] | Loc | null)[];
  /** Instead of `lines` and `refs`: copies of every line's arrays, for a short-lived snapshot (see snapshotCache). */
  readonly whole?: LineArrays;
}

const LINE_FIELDS = 4;

/**
 * `transient`: a snapshot made for speed rather than size (the debugger's fine snapshots, kept briefly): every
 * line's arrays copied whole, which a restore that adopts the snapshot takes without copying again.
 */
export function snapshotCache(c: CacheState, transient = false): CacheSnapshot {
  const { tags, states, stamps, data, filledAt } = c;
  const lines: number[] = [];
  const refs: (DataRun[] | Loc | null)[] = [];
  if (transient) return { config: cacheConfig(c), lines, refs, whole: copyLineArrays(c) };
  if (c.valid > 0) {
    for (let i = 0; i < states.length; i++) {
      if (states[i] === INVALID) continue;
      lines.push(i, tags[i], states[i], stamps[i]);
      refs.push(data[i], filledAt[i]);
    }
  }
  return { config: cacheConfig(c), lines, refs };
}

type LineArrays = Pick<CacheState, 'tags' | 'states' | 'stamps' | 'data' | 'filledAt'>;

function copyLineArrays(a: LineArrays): LineArrays {
  return { tags: a.tags.slice(), states: a.states.slice(), stamps: a.stamps.slice(), data: a.data.slice(), filledAt: a.filledAt.slice() };
}

function cacheConfig(c: CacheState): CacheSnapshot['config'] {
  return { line: c.line, ways: c.ways, sets: c.sets, prefetch: c.prefetch, clock: c.clock, valid: c.valid, summary: c.summary?.map((x) => ({ ...x })) };
}

/** Bytes a line takes in a restored cache's one buffer: its tag and stamp (Float64), then its state (Uint8). */
const LINE_BYTES = 17;

/** An empty cache's arrays per line count, copied by every restore (one buffer: one allocation), never written. */
const blanks = new Map<number, { bytes: ArrayBuffer; lines: null[] }>();

function blankOf(n: number): { bytes: ArrayBuffer; lines: null[] } {
  let b = blanks.get(n);
  if (!b) {
    b = { bytes: new ArrayBuffer(LINE_BYTES * n), lines: new Array<null>(n).fill(null) };
    new Float64Array(b.bytes, 0, n).fill(-1);
    blanks.set(n, b);
  }
  return b;
}

/**
 * A live cache holding exactly the snapshot's lines, every other line Invalid. `adopt`: the snapshot is given up,
 * so a transient one's arrays are taken rather than copied.
 */
export function restoreCache(snap: CacheSnapshot, adopt = false): CacheState {
  const { config, whole } = snap;
  if (whole) {
    const w = adopt ? whole : copyLineArrays(whole);
    return {
      line: config.line, ways: config.ways, sets: config.sets, prefetch: config.prefetch,
      tags: w.tags, states: w.states, stamps: w.stamps, data: w.data, filledAt: w.filledAt, clock: config.clock, valid: config.valid, summary: config.summary?.map((x) => ({ ...x })),
    };
  }
  const n = config.sets * config.ways;
  const blank = blankOf(n);
  const bytes = blank.bytes.slice(0);
  // Fields in createCache's order, so that restored caches and new ones share one shape on the hot paths.
  const c: CacheState = {
    line: config.line, ways: config.ways, sets: config.sets, prefetch: config.prefetch,
    tags: new Float64Array(bytes, 0, n), states: new Uint8Array(bytes, 16 * n, n), stamps: new Float64Array(bytes, 8 * n, n),
    data: blank.lines.slice(), filledAt: blank.lines.slice(), clock: config.clock, valid: config.valid, summary: config.summary?.map((x) => ({ ...x })),
  };
  const { lines, refs } = snap;
  for (let k = 0, r = 0; k < lines.length; k += LINE_FIELDS, r += 2) {
    const i = lines[k];
    c.tags[i] = lines[k + 1];
    c.states[i] = lines[k + 2];
    c.stamps[i] = lines[k + 3];
    c.data[i] = refs[r] as DataRun[];
    c.filledAt[i] = refs[r + 1] as Loc | null;
  }
  return c;
}
