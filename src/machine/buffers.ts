// Buffers and handles: creating and releasing the memory a CPU pointer, coherent handle or dma-buf names,
// translating buffer offsets to physical pieces, and resolving the handles the runtime passes in.

import type { HandleType } from '../language/signatures';
import { hex, type EventLabels } from './events';
import { failedCall, failedCallNote, failedHandleText, failedMapResult, usedFailed } from './failedCalls';
import type { Loc } from './hazards';
import { cpuOwned } from './ownership';
import { freePages } from './pageAllocator';
import type { PhysRange } from './rangeAllocator';
import { emit, fail, misuse, raise } from './report';
import type { Buffer, BufferKind, Handle, HandleTarget, MachineState, Mapping } from './state';

export function newId(s: MachineState): number {
  return s.nextId++;
}

export function newHandle(s: MachineState, id: number, type: HandleType, target: HandleTarget): Handle {
  s.handles.set(id, target);
  return { type, id };
}

/** A handle that names nothing: what a failed call returns (using it later is api-misuse, `namesNothing`). */
export function failedHandle(s: MachineState, type: HandleType): Handle {
  return { type, id: newId(s), failedAt: s.loc };
}

/**
 * Registers a buffer over `segs` (in buffer order); the CPU owns it. Without `segs` the allocation failed: the
 * buffer stands for the NULL the call returned, so that its uses can say so.
 */
export function createBuffer(s: MachineState, kind: BufferKind, size: number, segs: PhysRange[] | undefined, cacheable: boolean, device?: string): Buffer {
  const b: Buffer = { id: newId(s), kind, size, segs: segs ?? [], cacheable, owners: cpuOwned(size), mapped: [], createdAt: s.loc, live: segs !== undefined };
  if (!segs) b.failed = true;
  if (device) b.device = device;
  s.buffers.set(b.id, b);
  // A failed allocation allocated nothing: its hazard says so.
  if (segs) emit(s, { type: 'alloc', buffer: b.id, kind, size, segments: segs.map((g) => ({ phys: g.phys, len: g.len })) });
  return b;
}

/** A piece of a buffer range that is physically contiguous. */
export interface BufferPiece {
  bufOff: number;
  phys: number;
  len: number;
}

export function bufferPieces(b: Buffer, off: number, len: number): BufferPiece[] {
  const out: BufferPiece[] = [];
  let pos = 0;
  for (const g of b.segs) {
    const a = Math.max(off, pos);
    const e = Math.min(off + len, pos + g.len);
    if (a < e) out.push({ bufOff: a, phys: g.phys + (a - pos), len: e - a });
    pos += g.len;
    if (pos >= off + len) break;
  }
  return out;
}

export function bufferName(b: Buffer): string {
  return b.name ?? `${b.kind} #${b.id}`;
}

export function mappingName(m: Mapping): string {
  return m.name ?? `mapping #${m.id}`;
}

/** A mapping whose map failed, as a call given it names it. */
export function failedMappingName(m: Mapping): string {
  return `${mappingName(m)}, whose map failed (${failedMapResult(m)})`;
}

/**
 * Event text labels from the state: a buffer or mapping by the name it was bound to (or `dma-buf #N`), else `#ID`.
 * Read after the statement has run: the runtime names what a call returns once it returns.
 */
export function eventLabels(s: MachineState): EventLabels {
  return {
    buffer: (id) => s.buffers.get(id)?.name ?? `#${id}`,
    mapping: (id) => s.mappings.get(id)?.name ?? `#${id}`,
  };
}

export const at = (loc: Loc | undefined): string => (loc ? ` at line ${loc.line}` : '');

/** Live mappings of a buffer (what a free must not leave behind). */
export function liveMappingsOf(s: MachineState, b: Buffer): Mapping[] {
  return b.mapped.map((id) => s.mappings.get(id)).filter((m): m is Mapping => !!m && m.live);
}

/** Frees a buffer's pages (`phys()` ranges are never freed); a double free or a free while mapped is api-misuse. */
export function releaseBuffer(s: MachineState, b: Buffer, fn: string): void {
  // An allocation that failed returned NULL, and kfree(NULL), vfree(NULL) and dma_free_coherent() of NULL do
  // nothing (its failure was reported where it happened); a phys() that failed returned no NULL, and freeing it is a
  // use of a failed call's result, as any other.
  if (b.failed) {
    if (b.kind === 'phys') usedFailed(s, b, `${fn}(${bufferName(b)})`);
    return;
  }
  if (!b.live) {
    // Nothing is freed, as with any release of what was already released: the call fails (expect error holds).
    fail(s, 'api-misuse', `${fn}(${bufferName(b)}): double free: it was already freed${at(b.releasedAt)}`, b.releasedAt ? [{ loc: b.releasedAt, message: 'freed here' }] : [], 'double-free');
    return;
  }
  for (const m of liveMappingsOf(s, b)) {
    raise(s, 'api-misuse', `${fn}(${bufferName(b)}) while ${mappingName(m)} still maps it for ${m.device} ${m.dir}: unmap it first (the memory is freed anyway and the device may still write into it)`,
      [{ loc: m.createdAt, message: `mapped for ${m.device} here` }], { detail: 'free-while-mapped' });
  }
  b.live = false;
  b.releasedAt = s.loc;
  if (b.kind !== 'phys') for (const g of b.segs) freePages(s.alloc, g.phys, g.len);
  emit(s, { type: 'free', buffer: b.id, kind: b.kind });
}

/**
 * The api-misuse of a handle that names nothing: one a failed call returned (the call given it fails too), or one
 * never returned at all (it fails with `failure`).
 */
export function namesNothing(s: MachineState, h: Handle | undefined, fn: string, failure = false): void {
  if (h?.failedAt) {
    misuse(s, true, `${fn}: ${failedHandleText(h.failedAt)}: check a call's result before using it`, [failedCallNote(h.failedAt)], 'failed-handle');
  } else {
    misuse(s, failure, `${fn}: unknown handle${h ? ` #${h.id}` : ''}: it was never returned by an allocation or map`, [], 'unknown-handle');
  }
}

/**
 * What using a freed buffer is to the call: an api-misuse it fails with (a map), one it goes on from (a CPU access:
 * the memory is still there), or nothing this rule reports (a cache event, as the hardware may touch any line; a
 * device access, which has a hazard of its own for it).
 */
export type FreedUse = 'fails' | 'misuse' | 'ignored';

/**
 * Whether the call using `b` stops at it, saying why when `b` is not live: its allocation failed (the pointer is
 * NULL: any use is an api-misuse the call fails with) or it was freed (as `freed` says). `use` names the access
 * (`cpu.read of p`).
 */
export function usedWhenNotLive(s: MachineState, b: Buffer, use: string, freed: FreedUse): boolean {
  if (b.live) return false;
  if (usedFailed(s, b, use)) return true;
  if (freed !== 'ignored') misuse(s, freed === 'fails', `${use} after it was freed${at(b.releasedAt)}`, [], 'use-after-free');
  return freed === 'fails';
}

/** Why a buffer that is not live has no owner: its allocation (or phys()) failed, or it was freed. */
export function notLiveText(b: Buffer): string {
  return b.failed ? `its ${failedCall(b)} failed at line ${b.createdAt.line}` : `it was freed${at(b.releasedAt)}`;
}

/** What a handle names, or an api-misuse hazard (unknown handle, wrong kind) and undefined. */
export function resolve(s: MachineState, h: Handle | undefined, fn: string, accepts: HandleTarget['type'][]): HandleTarget | undefined {
  const t = h ? s.handles.get(h.id) : undefined;
  if (!t) {
    namesNothing(s, h, fn);
    return undefined;
  }
  if (!accepts.includes(t.type)) {
    raise(s, 'api-misuse', `${fn}: handle #${h?.id} is a ${t.type}, not a ${accepts.join(' or ')}`, [], { detail: 'wrong-handle' });
    return undefined;
  }
  return t;
}

/** The buffer behind a CPU pointer or coherent handle, freed or not: the caller judges a use after free. */
export function resolveBuffer(s: MachineState, h: Handle | undefined, fn: string, accepts: HandleTarget['type'][] = ['cpu_ptr', 'coherent']): { b: Buffer; t: HandleTarget } | undefined {
  const t = resolve(s, h, fn, accepts);
  const b = t && 'buffer' in t ? s.buffers.get(t.buffer) : undefined;
  return b && t ? { b, t } : undefined;
}

/**
 * Clips [off, +len) to the buffer, raising api-misuse when it runs past the end. With `failsWhenEmpty`, a range that
 * leaves nothing of the buffer makes the call fail, and the misuse is its failure (`expect error` consumes it).
 */
export function clip(s: MachineState, b: Buffer, off: number, len: number, fn: string, failsWhenEmpty = false): number {
  if (off + len <= b.size) return len;
  const left = Math.max(0, b.size - off);
  misuse(s, failsWhenEmpty && left === 0, `${fn}: [${hex(off)}, +${hex(len)}) runs past the end of ${bufferName(b)} (${hex(b.size)} bytes)`, [{ loc: b.createdAt, message: 'allocated here' }], 'out-of-bounds');
  return left;
}
