// swiotlb bounce buffering (spec §6, kernel-dma-facts §2): 2 KiB slots in a pool below 4 GiB, at most 128
// contiguous slots per mapping. Bounce copies are CPU copies through the cache that carry the data's write
// sequence numbers; a slot's bytes stand for their original's.

import { cacheView, cpuAccess } from './cache';
import type { Layout } from './layout';
import { readRuns } from './memory';
import { checkLost, storeOver } from './newest';
import { emit, traced } from './report';
import { RangeAllocator, allocTopDown, createRangeAllocator, freeRange } from './rangeAllocator';
import { overlay } from './runs';
import type { MachineState } from './state';

export const SLOT_SIZE = 2048;
export const MAX_SLOTS = 128;

/** A slot range in use: `len` bytes at `slot` stand for the original bytes at `orig`. */
export interface BounceSlot {
  slot: number;
  len: number;
  orig: number;
  /** Whether the original is reached through the cache. */
  origCacheable: boolean;
  mapping: number;
}

export interface SwiotlbState {
  pool: RangeAllocator;
  active: BounceSlot[];
}

export function createSwiotlb(layout: Layout): SwiotlbState {
  return { pool: createRangeAllocator(layout.swiotlbBase, layout.swiotlbBase + layout.swiotlbSize), active: [] };
}

export type SlotResult = { ok: true; slot: number } | { ok: false; why: string };

/** swiotlb_tbl_map_single's slot search: contiguous slots below the device's reach. */
export function allocSlots(s: MachineState, orig: number, len: number, origCacheable: boolean, mapping: number, below: number): SlotResult {
  const n = Math.ceil(len / SLOT_SIZE);
  if (n > MAX_SLOTS) return { ok: false, why: `swiotlb: a mapping of ${len} bytes needs ${n} slots, more than the ${MAX_SLOTS} contiguous slots (256 KiB) allowed` };
  const slot = allocTopDown(s.swiotlb.pool, n * SLOT_SIZE, below, SLOT_SIZE);
  if (slot === undefined) return { ok: false, why: `swiotlb buffer is full (sz: ${len} bytes) or out of the device's reach` };
  s.swiotlb.active.push({ slot, len, orig, origCacheable, mapping });
  return { ok: true, slot };
}

/**
 * Releases a slot range. Data only the slot held (the device's writes never copied back) is then lost.
 */
export function freeSlots(s: MachineState, slot: number, why: string): void {
  const i = s.swiotlb.active.findIndex((b) => b.slot === slot);
  if (i < 0) return;
  const b = s.swiotlb.active[i];
  // Both the slot's memory and its cached lines stop standing for the original. Per byte, the newer of the two is
  // what is destroyed: a snooping device's write is in both, and is one loss, not two.
  const held = overlay(readRuns(s.mem, slot, b.len), cacheView(s, slot, b.len), (c, m) => c.seq > m.seq);
  s.swiotlb.active.splice(i, 1);
  freeRange(s.swiotlb.pool, slot, Math.ceil(b.len / SLOT_SIZE) * SLOT_SIZE);
  // The slot's bytes now stand for nothing: what only they held of the original is gone.
  checkLost(s, b.orig, held, { kind: 'slot-release', slot, why });
}

/** The original byte a slot byte stands for, if `phys` lies in a slot in use. */
export function slotToOriginal(s: MachineState, phys: number): number | undefined {
  for (const b of s.swiotlb.active) if (phys >= b.slot && phys < b.slot + b.len) return b.orig + (phys - b.slot);
  return undefined;
}

/**
 * The parts of original bytes [orig, +len) that slots in use hold copies of: `len` bytes at `slot`, `at` bytes into
 * the range. A slot may hold only part of it (a mapping that starts or ends within a cache line).
 */
export function slotCopies(s: MachineState, orig: number, len: number): { at: number; slot: number; len: number }[] {
  const out: { at: number; slot: number; len: number }[] = [];
  for (const b of s.swiotlb.active) {
    const from = Math.max(orig, b.orig);
    const to = Math.min(orig + len, b.orig + b.len);
    if (from < to) out.push({ at: from - orig, slot: b.slot + (from - b.orig), len: to - from });
  }
  return out;
}

function activeSlot(s: MachineState, slot: number): BounceSlot | undefined {
  return s.swiotlb.active.find((b) => b.slot === slot);
}

/** A CPU copy of `len` bytes from `from` to `to`, each side through the cache when cacheable. */
function cpuCopy(s: MachineState, from: number, fromCached: boolean, to: number, toCached: boolean, len: number): void {
  const runs = fromCached ? cpuAccess(s, from, len, { kind: 'read' }) : readRuns(s.mem, from, len);
  if (toCached) cpuAccess(s, to, len, { kind: 'write', runs, copy: true });
  else storeOver(s, to, len, runs, { kind: 'bounce-copy' });
}

/** swiotlb_bounce towards the device: original -> slot, for bytes [off, +len) of the slot range. */
export function bounceToSlot(s: MachineState, slot: number, off: number, len: number): void {
  const b = activeSlot(s, slot);
  if (!b || len <= 0) return;
  traced(s, 'swiotlb_bounce', 'DMA_TO_DEVICE', () => {
    emit(s, { type: 'bounce', dir: 'to-slot', orig: b.orig + off, slot: slot + off, len });
    cpuCopy(s, b.orig + off, b.origCacheable, slot + off, true, len);
  });
}

/** swiotlb_bounce towards the CPU: slot -> original. */
export function bounceFromSlot(s: MachineState, slot: number, off: number, len: number): void {
  const b = activeSlot(s, slot);
  if (!b || len <= 0) return;
  traced(s, 'swiotlb_bounce', 'DMA_FROM_DEVICE', () => {
    emit(s, { type: 'bounce', dir: 'from-slot', orig: b.orig + off, slot: slot + off, len });
    cpuCopy(s, slot + off, true, b.orig + off, b.origCacheable, len);
  });
}
