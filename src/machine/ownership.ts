// Ownership of each buffer byte (spec §5): the CPU, or a set of mappings, each a (device, direction) pair.
// Map and sync_for_device hand a range to the device, unmap and sync_for_cpu hand it back; every change
// is an event.

import { emit } from './report';
import type { Buffer, MachineState } from './state';

/** Buffer bytes [off, +len) owned by `owners` (mapping ids, sorted; empty: the CPU). */
export interface OwnerRun {
  off: number;
  len: number;
  owners: number[];
}

export function cpuOwned(size: number): OwnerRun[] {
  return [{ off: 0, len: size, owners: [] }];
}

/** The owner runs covering [off, +len), clipped to it. */
export function ownersIn(b: Buffer, off: number, len: number): OwnerRun[] {
  const out: OwnerRun[] = [];
  for (const r of b.owners) {
    const a = Math.max(r.off, off);
    const e = Math.min(r.off + r.len, off + len);
    if (a < e) out.push({ off: a, len: e - a, owners: r.owners });
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

const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** Appends run [off, +len) owned by `owners` to `out`, merging it into the last run when they touch and match. */
function pushOwned(out: OwnerRun[], off: number, len: number, owners: number[]): void {
  const last = out[out.length - 1];
  if (last && last.off + last.len === off && same(last.owners, owners)) last.len += len;
  else if (len > 0) out.push({ off, len, owners });
}

/**
 * Applies `change` to the owners of [off, +len); `change` returns the very list it was given when it changes
 * nothing, and then the runs are left as they are (unmapping what a sync already gave back allocates nothing).
 */
function update(s: MachineState, b: Buffer, off: number, len: number, change: (owners: number[]) => number[]): void {
  let out: OwnerRun[] | undefined;
  const runs = b.owners;
  for (let k = 0; k < runs.length; k++) {
    const r = runs[k];
    const a = Math.max(r.off, off);
    const e = Math.min(r.off + r.len, off + len);
    const next = a < e ? change(r.owners) : r.owners;
    if (next === r.owners) {
      if (out) pushOwned(out, r.off, r.len, r.owners);
      continue;
    }
    // The first change: the runs before it are copied (never shared, as pushOwned extends its last run).
    if (!out) {
      out = [];
      for (let j = 0; j < k; j++) pushOwned(out, runs[j].off, runs[j].len, runs[j].owners);
    }
    pushOwned(out, r.off, a - r.off, r.owners);
    if (s.recording && !same(next, r.owners)) emit(s, { type: 'owner', buffer: b.id, off: a, len: e - a, from: ownerLabel(s, r.owners), to: ownerLabel(s, next) });
    pushOwned(out, a, e - a, next);
    pushOwned(out, e, r.off + r.len - e, r.owners);
  }
  if (out) b.owners = out;
}

/** Hands [off, +len) to mapping `id` (map, sync_for_device). */
export function giveToDevice(s: MachineState, b: Buffer, off: number, len: number, id: number): void {
  update(s, b, off, len, (o) => (o.includes(id) ? o : [...o, id].sort((x, y) => x - y)));
}

/** Takes [off, +len) back from mapping `id` (unmap, sync_for_cpu). */
export function takeFromDevice(s: MachineState, b: Buffer, off: number, len: number, id: number): void {
  update(s, b, off, len, (o) => (o.includes(id) ? o.filter((x) => x !== id) : o));
}
