// Ownership of each buffer byte (spec §5): the CPU, or a set of (device, direction) pairs. Map and
// sync_for_device hand a range to the device, unmap and sync_for_cpu hand it back; every change of the set is an
// event. Each mapping keeps the spans it owns, and a buffer's runs keep one entry per pair with a count of its
// owning mappings: N live mappings of one pair over a range are one owner, so a map costs the same however many
// mappings of the range are live. A run's entries are keyed by the pair, not by a mapping, so runs with the same
// owners merge whichever mappings made them, and a released mapping leaves nothing behind in the runs.

import { emit } from './report';
import { replaced } from './copyOnWrite';
import { firstEndingAfter } from '../sorted/search';
import { coveredBytes, firstCovered, partsOf, setRange, type Span } from './spans';
import type { Buffer, MachineState, Mapping } from './state';

/** One (device, direction) pair owning a run's bytes. Never changed once made: runs share them. */
export interface PairOwner {
  /** `device:DIRECTION`. */
  readonly pair: string;
  /** How many live mappings of the pair own the bytes: the pair stays an owner until the last gives them back. */
  readonly count: number;
  /** The id of the mapping that made the pair an owner of the bytes, so pairs are listed as they were mapped. */
  readonly since: number;
}

/** Buffer bytes [off, +len) owned by the CPU (`owners` empty) or by the pairs of `owners`, by `since`. */
export interface OwnerRun {
  off: number;
  len: number;
  owners: readonly PairOwner[];
}

/**
 * Buffer bytes [off, +len) and the pairs owning them (`device:DIRECTION`, as mapped; none: the CPU), as checks and
 * views name them: adjacent runs that differ only in how many mappings of a pair own them are one range.
 */
export interface OwnerRange {
  off: number;
  len: number;
  pairs: readonly string[];
}

export function cpuOwned(size: number): OwnerRun[] {
  return [{ off: 0, len: size, owners: [] }];
}

/** Whether two runs' owners are the same pairs in the same order, with the same counts if `counts`. */
function same(x: readonly PairOwner[], y: readonly PairOwner[], counts: boolean): boolean {
  return x.length === y.length && x.every((o, i) => o.pair === y[i].pair && (!counts || o.count === y[i].count));
}

/** The owner ranges covering [off, +len), clipped to it. */
export function ownersIn(b: Buffer, off: number, len: number): OwnerRange[] {
  const out: OwnerRange[] = [];
  let prev: readonly PairOwner[] | undefined;
  const runs = b.owners;
  for (let k = firstEndingAfter(runs, off); k < runs.length && runs[k].off < off + len; k++) {
    const r = runs[k];
    const a = Math.max(r.off, off);
    const e = Math.min(r.off + r.len, off + len);
    if (a >= e) continue;
    if (prev && same(prev, r.owners, false)) out[out.length - 1].len += e - a;
    else out.push({ off: a, len: e - a, pairs: r.owners.map((o) => o.pair) });
    prev = r.owners;
  }
  return out;
}

/** "cpu", or the (device:DIRECTION) pairs. */
export function ownerLabel(pairs: readonly string[]): string {
  return pairs.length === 0 ? 'cpu' : pairs.join(', ');
}

const labelOf = (owners: readonly PairOwner[]): string => ownerLabel(owners.map((o) => o.pair));

/** The bytes of [off, +len) that mapping `m` does not own. */
export function notOwnedBy(m: Mapping, off: number, len: number): number {
  return len - coveredBytes(m.owned, off, len);
}

/** The first byte of [off, +len) that mapping `m` owns, or undefined. */
export function firstOwned(m: Mapping, off: number, len: number): number | undefined {
  return firstCovered(m.owned, off, len);
}

/**
 * Appends run [off, +len) to `out` (runs are contiguous), joined to the last run when its owners and counts are the
 * same. A joined run is a new object, as snapshots share runs; `run` is the one to keep when the bytes are a whole run
 * left as it was.
 */
function push(out: OwnerRun[], off: number, len: number, owners: readonly PairOwner[], run?: OwnerRun): void {
  if (len === 0) return;
  const last = out[out.length - 1];
  if (last && same(last.owners, owners, true)) out[out.length - 1] = { off: last.off, len: last.len + len, owners: last.owners };
  else out.push(run ?? { off, len, owners });
}

type Change = (owners: readonly PairOwner[]) => readonly PairOwner[];

/**
 * Applies `change` to the owners of each of `parts` (sorted, disjoint, at least one) of `b`, in one walk of both
 * from the first run they reach: a mapping synced back piece by piece has as many parts as pieces, and a buffer as
 * many runs. Only the runs the walk reaches, and the one on each side that a changed piece may join, are replaced
 * (copyOnWrite.ts), so that a piece does not cost every run. Each change of the owning pairs is an event, adjacent
 * ones with the same change one event.
 */
function apply(s: MachineState, b: Buffer, parts: readonly Span[], change: Change): void {
  const runs = b.owners;
  let k = firstEndingAfter(runs, parts[0].off);
  const from = Math.max(k - 1, 0);
  const out = runs.slice(from, k);
  let event: { off: number; len: number; from: readonly PairOwner[]; to: readonly PairOwner[] } | undefined;
  const flush = (): void => {
    if (event) emit(s, { type: 'owner', buffer: b.id, off: event.off, len: event.len, from: labelOf(event.from), to: labelOf(event.to) });
  };
  let j = 0;
  for (; j < parts.length && k < runs.length; k++) { // a sync may name bytes past the buffer's end
    const r = runs[k];
    const end = r.off + r.len;
    let pos = r.off;
    // The same change for every part of the run: made once (only if a part reaches it).
    let next: readonly PairOwner[] | undefined;
    for (; j < parts.length && parts[j].off < end; j++) {
      const p = parts[j];
      const a = Math.max(p.off, pos);
      const e = Math.min(p.off + p.len, end);
      next ??= change(r.owners);
      push(out, pos, a - pos, r.owners);
      push(out, a, e - a, next);
      if (s.recording && !same(r.owners, next, false)) {
        if (event && event.off + event.len === a && same(event.from, r.owners, false) && same(event.to, next, false)) event.len += e - a;
        else {
          flush();
          event = { off: a, len: e - a, from: r.owners, to: next };
        }
      }
      pos = e;
      if (p.off + p.len > end) break; // the part goes on into the next run
    }
    push(out, pos, end - pos, r.owners, pos === r.off ? r : undefined);
  }
  // The first run after the parts may join the last piece changed; the rest are as they were.
  if (k < runs.length) push(out, runs[k].off, runs[k].len, runs[k].owners, runs[k++]);
  flush();
  b.owners = replaced(runs, from, k, out);
}

/** `owners` with one more mapping, `since`, of `pair`. */
function plus(owners: readonly PairOwner[], pair: string, since: number): readonly PairOwner[] {
  const i = owners.findIndex((o) => o.pair === pair);
  if (i >= 0) return owners.map((o, j) => (j === i ? { pair, count: o.count + 1, since: o.since } : o));
  const k = owners.findIndex((o) => o.since > since);
  const at = k < 0 ? owners.length : k;
  return [...owners.slice(0, at), { pair, count: 1, since }, ...owners.slice(at)];
}

/** `owners` with one mapping of `pair` fewer (the mapping owns these bytes, so the pair is there); the pair goes with its last. */
function minus(owners: readonly PairOwner[], pair: string): readonly PairOwner[] {
  const i = owners.findIndex((o) => o.pair === pair);
  if (owners[i].count === 1) return owners.filter((_, j) => j !== i);
  return owners.map((o, j) => (j === i ? { pair, count: o.count - 1, since: o.since } : o));
}

/** Hands buffer bytes [off, +len) to mapping `m` (`give`) or takes them back; only bytes whose owner that changes are touched, and nothing is made when there are none. */
function handOver(s: MachineState, b: Buffer, off: number, len: number, m: Mapping, give: boolean): void {
  const parts = partsOf(m.owned, off, len, !give);
  if (parts.length === 0) return;
  const pair = `${m.device}:${m.dir}`;
  apply(s, b, parts, give ? (o) => plus(o, pair, m.id) : (o) => minus(o, pair));
  m.owned = setRange(m.owned, off, len, give);
}

/** Hands buffer bytes [off, +len) to mapping `m` (map, sync_for_device); bytes it already owns stay as they are. */
export function giveToDevice(s: MachineState, b: Buffer, off: number, len: number, m: Mapping): void {
  handOver(s, b, off, len, m, true);
}

/** Takes buffer bytes [off, +len) back from mapping `m` (unmap, sync_for_cpu). */
export function takeFromDevice(s: MachineState, b: Buffer, off: number, len: number, m: Mapping): void {
  handOver(s, b, off, len, m, false);
}
