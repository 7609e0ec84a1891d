// Keeps the machine's state bounded by what is live rather than by the run's history: it drops the origins of
// writes no copy of any byte carries any more, and released buffers, mappings, handles and dma-buf objects that
// nothing can name again. Only what no later message can reach goes, so pruning never changes a result; it runs
// when a table has doubled since the last prune, so its cost is amortised over the statements that grew it.

import type { ImporterRecord } from './dmabufState';
import { seqsOf } from './memory';
import type { MachineState } from './state';

/** Below this many entries a table is never pruned: short runs keep their whole history for the views. */
const MIN_PRUNE = 64;

const nextAt = (size: number): number => Math.max(MIN_PRUNE, 2 * size);

export function initialPruneAt(): MachineState['pruneAt'] {
  return { writes: MIN_PRUNE, objects: MIN_PRUNE, kept: 0 };
}

function objectCount(s: MachineState): number {
  const d = s.dmabuf;
  return s.handles.size + s.buffers.size + s.mappings.size + d.bufs.size + d.attachments.size + d.views.size;
}

/**
 * Prunes the tables that have grown past their threshold; call between statements (no write is in flight).
 * `boundHandles` gives the handle ids the program's bindings hold; without it (a machine driven directly rather
 * than by the runner) any handle may still be used, so only write origins are pruned.
 */
export function pruneIfDue(s: MachineState, boundHandles?: () => Iterable<number>): void {
  if (s.writes.size >= s.pruneAt.writes) {
    pruneWrites(s);
    s.pruneAt.writes = nextAt(s.writes.size);
  }
  if (boundHandles && objectCount(s) >= s.pruneAt.objects) {
    sweep(s, reachable(s, boundHandles()));
    s.pruneAt.kept = objectCount(s);
    s.pruneAt.objects = nextAt(s.pruneAt.kept);
  }
}

/** Messages name a write only through a byte that carries it: in memory (bounce slots too), the cache, or as newest. */
function pruneWrites(s: MachineState): void {
  const held = new Set<number>([0]);
  for (const q of seqsOf(s.mem)) held.add(q);
  for (const q of seqsOf(s.newest)) held.add(q);
  for (const runs of s.cache.data) if (runs) for (const r of runs) held.add(r.seq);
  for (const q of s.writes.keys()) if (!held.has(q)) s.writes.delete(q);
}

/**
 * Ids still reachable: bound handles, every live object (the end-of-run leak check reports those), and what they
 * refer to. A handle shares its id with what it names (a vmap pointer with its CPU view), so one id set serves all.
 */
function reachable(s: MachineState, bound: Iterable<number>): Set<number> {
  const keep = new Set<number>();
  const todo: number[] = [];
  const visit = (id: number | undefined): void => {
    if (id === undefined || keep.has(id)) return;
    keep.add(id);
    todo.push(id);
  };
  for (const id of bound) visit(id);
  for (const b of s.buffers.values()) if (b.live) visit(b.id);
  for (const m of s.mappings.values()) if (m.live) visit(m.id);
  for (const d of s.dmabuf.bufs.values()) if (!d.releasedAt) visit(d.id);
  for (const a of s.dmabuf.attachments.values()) if (!a.detachedAt || a.mappings.length > 0) visit(a.id);
  for (const v of s.dmabuf.views.values()) if (!v.unmappedAt) visit(v.id);
  for (const slot of s.swiotlb.active) visit(slot.mapping);
  // A buffer holding a dma-buf's pages is shown and named through its dma-buf.
  const dmabufOf = new Map<number, number>();
  for (const d of s.dmabuf.bufs.values()) if (d.buffer !== undefined) dmabufOf.set(d.buffer, d.id);
  for (let id = todo.pop(); id !== undefined; id = todo.pop()) refer(s, id, dmabufOf, visit);
  return keep;
}

/** Visits what the objects with id `id` refer to. */
function refer(s: MachineState, id: number, dmabufOf: ReadonlyMap<number, number>, visit: (id: number | undefined) => void): void {
  const t = s.handles.get(id);
  if (t) visit('buffer' in t ? t.buffer : 'mapping' in t ? t.mapping : t.other);
  const b = s.buffers.get(id);
  if (b) {
    // The newest mapping, live or not, explains a stale read of the buffer.
    visit(b.lastMapping);
    b.mapped.forEach(visit);
    visit(dmabufOf.get(id));
  }
  visit(s.mappings.get(id)?.buffer);
  visit(s.dmabuf.bufs.get(id)?.buffer);
  const a = s.dmabuf.attachments.get(id);
  if (a) {
    visit(a.buf);
    for (const m of a.mappings) visit(m.sgt);
  }
  visit(s.dmabuf.views.get(id)?.buf);
}

/** Drops every object whose id is not kept, and the lists in kept dma-bufs that named them. */
function sweep(s: MachineState, keep: ReadonlySet<number>): void {
  const d = s.dmabuf;
  for (const table of [s.handles, s.names, s.buffers, s.mappings, d.bufs, d.attachments, d.views] as Map<number, unknown>[]) {
    for (const id of table.keys()) if (!keep.has(id)) table.delete(id);
  }
  for (const b of d.bufs.values()) {
    b.attachments = b.attachments.filter((id) => keep.has(id));
    b.views = b.views.filter((id) => keep.has(id));
    b.importers = firstPerDevice(b.importers);
  }
}

/** `advise` reads only each device's first attach; later attaches of the same device add nothing. */
function firstPerDevice(importers: ImporterRecord[]): ImporterRecord[] {
  const seen = new Set<string>();
  return importers.filter((i) => !seen.has(i.device) && (seen.add(i.device), true));
}
