// Ownership of each buffer byte (spec §5): the CPU, or a set of (device, direction) pairs. Map and
// sync_for_device hand a range to the device, unmap and sync_for_cpu hand it back; every change of the set is an
// event. Each mapping keeps the spans it owns, and a buffer's runs keep one entry per pair with a count of its
// owning mappings: N live mappings of one pair over a range are one owner, so a map costs the same however many
// mappings of the range are live.

import { emit } from './report';
import { partsOf, withRange } from './spans';
import type { Buffer, MachineState, Mapping } from './state';

/** Buffer bytes [off, +len) owned by the CPU (`owners` empty) or by the (device, direction) pairs of `owners`. */
export interface OwnerRun {
  off: number;
  len: number;
  /** One mapping id per owning pair, the first of its mappings to take the bytes (it names the pair), sorted. */
  owners: number[];
  /** How many live mappings of each pair own the bytes, index for index with `owners`. */
  counts: number[];
}

export function cpuOwned(size: number): OwnerRun[] {
  return [{ off: 0, len: size, owners: [], counts: [] }];
}

/** The owner runs covering [off, +len), clipped to it. */
export function ownersIn(b: Buffer, off: number, len: number): OwnerRun[] {
  const out: OwnerRun[] = [];
  for (const r of b.owners) {
    const a = Math.max(r.off, off);
    const e = Math.min(r.off + r.len, off + len);
    if (a < e) out.push({ off: a, len: e - a, owners: r.owners, counts: r.counts });
  }
  return out;
}

/** "cpu", or the (device:DIRECTION) pairs of the mappings. */
export function ownerLabel(s: MachineState, owners: readonly number[]): string {
  if (owners.length === 0) return 'cpu';
  return owners.map((id) => {
    const m = s.mappings.get(id);
    return m ? `${m.device}:${m.dir}` : `#${id}`;
  }).join(', ');
}

/** The bytes of [off, +len) that mapping `m` does not own. */
export function notOwnedBy(m: Mapping, off: number, len: number): number {
  return partsOf(m.owned, off, len, false).reduce((n, p) => n + p.len, 0);
}

/** The first byte of [off, +len) that mapping `m` owns, or undefined. */
export function firstOwned(m: Mapping, off: number, len: number): number | undefined {
  return partsOf(m.owned, off, len, true)[0]?.off;
}

const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** Appends run [off, +len) to `out` (a new run: runs are shared with snapshots), merging it into the last when they touch and match. */
function pushOwned(out: OwnerRun[], off: number, len: number, r: Pick<OwnerRun, 'owners' | 'counts'>): void {
  const last = out[out.length - 1];
  if (last && last.off + last.len === off && same(last.owners, r.owners) && same(last.counts, r.counts)) last.len += len;
  else if (len > 0) out.push({ off, len, owners: r.owners, counts: r.counts });
}

type Owned = Pick<OwnerRun, 'owners' | 'counts'>;

/** Applies `change` to the owners of [off, +len); `change` returns undefined where it changes nothing. */
function update(s: MachineState, b: Buffer, off: number, len: number, change: (r: Owned) => Owned | undefined): void {
  const out: OwnerRun[] = [];
  for (const r of b.owners) {
    const a = Math.max(r.off, off);
    const e = Math.min(r.off + r.len, off + len);
    const next = a < e ? change(r) : undefined;
    if (!next) {
      pushOwned(out, r.off, r.len, r);
      continue;
    }
    pushOwned(out, r.off, a - r.off, r);
    if (s.recording && !same(next.owners, r.owners)) emit(s, { type: 'owner', buffer: b.id, off: a, len: e - a, from: ownerLabel(s, r.owners), to: ownerLabel(s, next.owners) });
    pushOwned(out, a, e - a, next);
    pushOwned(out, e, r.off + r.len - e, r);
  }
  b.owners = out;
}

/** The index in `owners` of the entry for `m`'s (device, direction) pair, or -1. */
function pairIndex(s: MachineState, owners: readonly number[], m: Mapping): number {
  return owners.findIndex((id) => {
    const o = s.mappings.get(id);
    return o?.device === m.device && o.dir === m.dir;
  });
}

/** The owners with one more mapping, `m`, of its pair. */
function plus(s: MachineState, r: Owned, m: Mapping): Owned {
  const i = pairIndex(s, r.owners, m);
  if (i >= 0) return { owners: r.owners, counts: r.counts.map((c, j) => (j === i ? c + 1 : c)) };
  const at = r.owners.findIndex((id) => id > m.id);
  const k = at < 0 ? r.owners.length : at;
  return { owners: [...r.owners.slice(0, k), m.id, ...r.owners.slice(k)], counts: [...r.counts.slice(0, k), 1, ...r.counts.slice(k)] };
}

/** The owners with one mapping, `m`, of its pair fewer; the pair goes with its last mapping. */
function minus(s: MachineState, r: Owned, m: Mapping): Owned | undefined {
  const i = pairIndex(s, r.owners, m);
  if (i < 0) return undefined;
  if (r.counts[i] > 1) return { owners: r.owners, counts: r.counts.map((c, j) => (j === i ? c - 1 : c)) };
  return { owners: r.owners.filter((_, j) => j !== i), counts: r.counts.filter((_, j) => j !== i) };
}

/** Hands buffer bytes [off, +len) to mapping `m` (map, sync_for_device); bytes it already owns stay as they are. */
export function giveToDevice(s: MachineState, b: Buffer, off: number, len: number, m: Mapping): void {
  for (const p of partsOf(m.owned, off, len, false)) update(s, b, p.off, p.len, (r) => plus(s, r, m));
  m.owned = withRange(m.owned, off, len, true);
}

/** Takes buffer bytes [off, +len) back from mapping `m` (unmap, sync_for_cpu). */
export function takeFromDevice(s: MachineState, b: Buffer, off: number, len: number, m: Mapping): void {
  for (const p of partsOf(m.owned, off, len, true)) update(s, b, p.off, p.len, (r) => minus(s, r, m));
  m.owned = withRange(m.owned, off, len, false);
}
