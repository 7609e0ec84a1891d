// The accesses of spec §4: CPU loads and stores (through the cache when the mapping is cacheable), device DMA
// reads and writes through a mapping or coherent buffer, and the cache events a scenario can force. Each is
// checked against ownership and the newest writes (stale-read, cpu-access-while-device-owned, ...).

import { at, bufferName, bufferPieces, clip, failedMappingName, liveMappingsOf, mappingName, notLiveText, resolve, resolveBuffer, usedWhenNotLive, type FreedUse } from './buffers';
import { cacheView, evictRange, findLine, updateCopies } from './cache';
import { mapRelated } from './dmaDebug';
import type { DeviceConfig } from './device';
import { hex } from './events';
import type { Related } from './hazards';
import { readRuns, writeRuns } from './memory';
import { newWrite, recordNewest, staleness, writeRelated, writerText } from './newest';
import { firstOwned, notOwnedBy, ownerLabel, ownersIn } from './ownership';
import { snoops } from './platform';
import { cpuAccessPieces } from './scatteredAccess';
import { emit, fail, raise } from './report';
import { DataRun, ByteRun, appendRuns, cached, overlay, toByteRuns } from './runs';
import { mappingPieces } from './streaming';
import type { Buffer, Handle, HandleTarget, MachineState, Mapping } from './state';

const size = (n: number): string => `${hex(n)} bytes`;

/** Raises expect-failed when a byte read differs from `expect`. */
/** `what` names the access, for the message only (built only when a byte differs: a read happens every few steps). */
function checkExpect(s: MachineState, what: () => string, runs: readonly DataRun[], expect: number | undefined): void {
  if (expect === undefined) return;
  let bad = 0;
  let first: number | undefined;
  for (const r of runs) {
    if (r.value !== expect) {
      bad += r.len;
      first ??= r.value;
    }
  }
  if (bad > 0) raise(s, 'expect-failed', `${what()}: expected every byte to be ${hex(expect)} but ${bad} byte(s) differ (first: ${hex(first ?? 0)})`);
}

/** The call that hands a buffer back to the CPU: the dma-buf bracket for a dma-buf, else the streaming sync or unmap. */
function handBack(b: Buffer, m: Mapping | undefined, device: string): string {
  if (b.kind === 'dmabuf') return `dma_buf_begin_cpu_access(${bufferName(b)}, ...) (or dma_buf_unmap_attachment of ${device}'s mapping)`;
  return m?.kind === 'sg' ? `dma_sync_sg_for_cpu(${device}, ...) or dma_unmap_sg` : `dma_sync_single_for_cpu(${device}, ...) or dma_unmap_single`;
}

/** The live mappings owning some byte of [off, +len) of `b`, by their first owned byte, then as mapped. */
function owningMappings(s: MachineState, b: Buffer, off: number, len: number): Mapping[] {
  return liveMappingsOf(s, b).map((m) => ({ m, first: firstOwned(m, off, len) }))
    .filter((x): x is { m: Mapping; first: number } => x.first !== undefined)
    .sort((x, y) => x.first - y.first || x.m.id - y.m.id)
    .map((x) => x.m);
}

/** The CPU touched bytes a device owns (mapped, not synced back); coherent buffers are shared and exempt. */
function checkCpuOwnership(s: MachineState, b: Buffer, off: number, len: number, verb: string): void {
  if (b.kind === 'coherent') return;
  const owned = ownersIn(b, off, len).filter((r) => r.pairs.length > 0);
  if (owned.length === 0) return;
  const ms = owningMappings(s, b, off, len);
  const m = ms[0];
  const bytes = owned.reduce((n, r) => n + r.len, 0);
  raise(s, 'cpu-access-while-device-owned',
    `CPU ${verb} ${size(len)} at offset ${hex(off)} of ${bufferName(b)}: ${bytes} byte(s) are owned by ${ownerLabel(owned[0].pairs)}${m ? ` (mapped${at(m.createdAt)}, not synced back)` : ''}: call ${handBack(b, m, m?.device ?? 'dev')} first`,
    ms.map((x) => ({ loc: x.createdAt, message: `mapped for ${x.device} ${x.dir} here` })));
}

/** Why a CPU read got old data, and what to call, for a driver developer. */
function cpuStaleMessage(s: MachineState, b: Buffer, off: number, len: number, phys: number, st: { bytes: number; firstOff: number; newestSeq: number; gotSeq: number }): { text: string; related: Related[] } {
  const writer = s.writes.get(st.newestSeq)?.who ?? 'cpu';
  const idx = findLine(s.cache, Math.floor((phys + st.firstOff) / s.cache.line));
  const filled = idx >= 0 ? s.cache.filledAt[idx] : null;
  const fromLine = b.cacheable && filled && filled.line !== s.loc.line;
  const mapping = [...b.mapped, b.lastMapping].map((id) => (id === undefined ? undefined : s.mappings.get(id))).find((m) => m?.device === writer);
  const wroteAt = s.writes.get(st.newestSeq)?.loc?.line;
  const inMemory = readRuns(s.mem, phys + st.firstOff, 1)[0]?.seq === st.newestSeq;
  // Cached lines are to blame only when memory holds the newer data (invalidating them would have shown it); when it
  // does not, a live bounce slot still holds it, or nothing does.
  const inSlot = !inMemory && !!mapping?.live && mapping.segs.some((g) => g.bounced);
  const lost = !inMemory && !inSlot;
  const staleLine = inMemory && fromLine ? filled : undefined;
  const why = inSlot
    ? 'the bounce buffer was not copied back'
    : lost
      ? 'no copy of it survives in memory or the cache (see the lost-write)'
      : staleLine
        ? staleLine.line === wroteAt
          ? `the CPU speculatively cached the lines just before that write and they were not invalidated`
          : `the lines cached at line ${staleLine.line} were not invalidated`
        : 'the CPU got an older copy';
  const fix = writer === 'cpu' ? 'the newer data was lost or is not visible through this pointer'
    : lost ? 'no sync can bring it back: fix what destroyed it' : `call ${handBack(b, mapping, writer)} before reading`;
  const related = [...writeRelated(s, st.newestSeq, 'wrote the newest data'), ...(staleLine ? [{ loc: staleLine, message: 'the stale line was cached here' }] : []),
    ...(mapping ? [{ loc: mapping.createdAt, message: `mapped for ${writer} here` }] : [])];
  return { text: `CPU read ${size(len)} at offset ${hex(off)} of ${bufferName(b)}: ${st.bytes} byte(s) are stale: ${writerText(s, st.newestSeq)} but ${why}: ${fix}`, related };
}

/**
 * `b`, unless the access `fn` (worded `cpu.read of p`) stops at it as usedWhenNotLive says: what a failed allocation
 * returned has no bytes, so any access to it stops here (no bounds of a NULL to check).
 */
function accessible(s: MachineState, b: Buffer | undefined, fn: string, prep: 'of' | 'to' | 'through', freed: FreedUse): Buffer | undefined {
  return b && !usedWhenNotLive(s, b, `${fn} ${prep} ${bufferName(b)}`, freed) ? b : undefined;
}

/** The buffer behind the CPU pointer or coherent handle given to the access `fn` (`cpu.read`); see accessible. */
function accessedBuffer(s: MachineState, h: Handle, fn: string, prep: 'of' | 'to', freed: FreedUse): Buffer | undefined {
  return accessible(s, resolveBuffer(s, h, fn)?.b, fn, prep, freed);
}

/** CPU loads of a buffer's bytes: through the cache when cacheable, else straight from memory. */
export function cpuRead(s: MachineState, h: Handle, off: number, len: number, expect?: number): ByteRun[] {
  const b = accessedBuffer(s, h, 'cpu.read', 'of', 'misuse');
  if (!b) return [];
  const n = clip(s, b, off, len, 'cpu.read');
  checkCpuOwnership(s, b, off, n, 'read');
  const all: DataRun[] = [];
  const pieces = bufferPieces(b, off, n);
  const read = b.cacheable ? cpuAccessPieces(s, pieces, { kind: 'read' }) : pieces.map((p) => readRuns(s.mem, p.phys, p.len));
  for (let i = 0; i < pieces.length; i++) {
    const [p, got] = [pieces[i], read[i]];
    const st = staleness(s, p.phys, got);
    if (st) {
      const msg = cpuStaleMessage(s, b, off, n, p.phys, st);
      raise(s, 'stale-read', msg.text, msg.related);
    }
    appendRuns(all, got);
  }
  checkExpect(s, () => `cpu.read of ${bufferName(b)} at ${hex(off)}`, all, expect);
  return toByteRuns(all);
}

export function cpuWrite(s: MachineState, h: Handle, off: number, len: number, value: number): void {
  const b = accessedBuffer(s, h, 'cpu.write', 'to', 'misuse');
  if (!b) return;
  const n = clip(s, b, off, len, 'cpu.write');
  checkCpuOwnership(s, b, off, n, 'wrote');
  const seq = newWrite(s, 'cpu');
  const pieces = bufferPieces(b, off, n);
  // The write is newest over all its bytes from its start: a stale line its own access writes back over them
  // destroys nothing it does not overwrite.
  for (const p of pieces) recordNewest(s, p.phys, p.len, value, seq);
  if (b.cacheable) cpuAccessPieces(s, pieces, { kind: 'write', runs: [{ len: n, value, seq }], copy: false });
  else for (const p of pieces) writeRuns(s.mem, p.phys, [{ len: p.len, value, seq }]);
}

/** Where a device access lands: pieces of the original (logical) bytes and the physical bytes the device touches. */
interface DevicePiece {
  logical: number;
  target: number;
  len: number;
  cacheable: boolean;
}

const DEVICE_HANDLES: HandleTarget['type'][] = ['dma_handle', 'sg', 'coherent'];

/** `nic.read` / `nic.write`, made once per device (it names the access in messages, built at every access). */
const accessNames = new Map<string, { read: string; write: string }>();
function accessName(dev: string, write: boolean): string {
  let names = accessNames.get(dev);
  if (!names) accessNames.set(dev, (names = { read: `${dev}.read`, write: `${dev}.write` }));
  return write ? names.write : names.read;
}

/** Resolves a device access through a mapping or coherent buffer, raising the access hazards of spec §8. */
function devicePieces(s: MachineState, dev: DeviceConfig, h: Handle, off: number, len: number, write: boolean): { pieces: DevicePiece[]; name: string } | undefined {
  const fn = accessName(dev.name, write);
  const t = resolve(s, h, fn, DEVICE_HANDLES);
  if (!t) return undefined;
  if (t.type === 'coherent') {
    const b = accessible(s, s.buffers.get(t.buffer), fn, 'through', 'ignored');
    if (!b) return undefined;
    if (!b.live || b.device !== dev.name) {
      raise(s, 'device-access-unmapped', `${fn} through ${bufferName(b)}: ${!b.live ? notLiveText(b) : `it is a coherent buffer of ${b.device}, not of ${dev.name}`}`, [{ loc: b.createdAt, message: 'allocated here' }]);
      if (!b.live) return undefined;
    }
    const n = clip(s, b, off, len, fn);
    return { pieces: bufferPieces(b, off, n).map((p) => ({ logical: p.phys, target: p.phys, len: p.len, cacheable: b.cacheable })), name: bufferName(b) };
  }
  const m = 'mapping' in t ? s.mappings.get(t.mapping) : undefined;
  if (!m) return undefined;
  if (m.failed) {
    fail(s, 'api-misuse', `${fn} through ${failedMappingName(m)}`, mapRelated(m), 'failed-handle');
    return undefined;
  }
  if (!m.live || m.device !== dev.name) {
    raise(s, 'device-access-unmapped',
      `${fn} through ${mappingName(m)}: ${!m.live ? `it was unmapped${at(m.releasedAt)}` : `it maps the buffer for ${m.device}, not ${dev.name}`}; ${dev.name} has no live mapping of its own there: map the buffer for ${dev.name} first`,
      [...mapRelated(m), ...(m.releasedAt ? [{ loc: m.releasedAt, message: 'unmapped here' }] : [])]);
    if (!m.live) return undefined;
  }
  let n = len;
  if (off + len > m.size) {
    raise(s, 'api-misuse', `${fn}: [${hex(off)}, +${hex(len)}) runs past the end of ${mappingName(m)} (${hex(m.size)} bytes)`, mapRelated(m), { detail: 'out-of-bounds' });
    n = Math.max(0, m.size - off);
  }
  if ((write && m.dir === 'TO_DEVICE') || (!write && m.dir === 'FROM_DEVICE'))
    raise(s, 'direction-violation', `${fn} through ${mappingName(m)}, mapped ${m.dir}: a device may only ${m.dir === 'TO_DEVICE' ? 'read' : 'write'} it; map it ${write ? 'FROM_DEVICE' : 'TO_DEVICE'} or BIDIRECTIONAL`, mapRelated(m));
  const b = s.buffers.get(m.buffer);
  if (b && m.device === dev.name) {
    const cpuOwned = notOwnedBy(m, m.off + off, Math.max(0, Math.min(n, b.size - m.off - off)));
    if (cpuOwned > 0) {
      const sync = m.kind === 'sg' ? 'dma_sync_sg_for_device' : 'dma_sync_single_for_device';
      raise(s, 'device-access-while-cpu-owned',
        `${fn} of ${size(n)} at offset ${hex(off)} of ${mappingName(m)}: ${cpuOwned} byte(s) were synced back to the CPU and not yet to the device: call ${sync}(${dev.name}, ...) first`, mapRelated(m));
    }
  }
  const cacheable = b?.cacheable ?? true;
  return {
    pieces: mappingPieces(m, off, n).map((p) => ({ logical: p.seg.phys + p.at, target: p.seg.target + p.at, len: p.len, cacheable: p.seg.bounced || cacheable })),
    name: b ? bufferName(b) : mappingName(m),
  };
}

/** What a device read returns: memory, with Dirty lines seen when the device snoops. */
function deviceView(s: MachineState, snoop: boolean, phys: number, len: number): DataRun[] {
  const mem = readRuns(s.mem, phys, len);
  return snoop ? overlay(mem, cacheView(s, phys, len, true), cached) : mem;
}

export function deviceRead(s: MachineState, dev: DeviceConfig, h: Handle, off: number, len: number, expect?: number): ByteRun[] {
  const r = devicePieces(s, dev, h, off, len, false);
  if (!r) return [];
  const snoop = snoops(s, dev);
  const all: DataRun[] = [];
  for (const p of r.pieces) {
    if (s.recording) emit(s, { type: 'dma', device: dev.name, access: 'read', phys: p.target, len: p.len, snoop });
    const got = deviceView(s, snoop, p.target, p.len);
    const st = staleness(s, p.logical, got);
    if (st) {
      const bounced = p.target !== p.logical;
      const why = bounced ? 'the bounce buffer holds an older copy: dma_sync_*_for_device with TO_DEVICE or BIDIRECTIONAL (or the map) copies it' :
        s.writes.get(st.newestSeq)?.who === 'cpu' ? `they are still dirty in the CPU cache: call dma_sync_*_for_device(${dev.name}, ...) or map the buffer after writing` : 'memory holds an older copy';
      raise(s, 'stale-read', `${dev.name} read ${size(p.len)} of ${r.name}: ${st.bytes} byte(s) are stale: ${writerText(s, st.newestSeq)} but ${why}`, writeRelated(s, st.newestSeq, 'wrote the newest data'));
    }
    appendRuns(all, got);
  }
  checkExpect(s, () => `${dev.name}.read of ${r.name} at ${hex(off)}`, all, expect);
  return toByteRuns(all);
}

export function deviceWrite(s: MachineState, dev: DeviceConfig, h: Handle, off: number, len: number, value: number): void {
  const r = devicePieces(s, dev, h, off, len, true);
  if (!r) return;
  const snoop = snoops(s, dev);
  const seq = newWrite(s, dev.name);
  // prefetch=speculative: the worst a speculating CPU may do, just before the device writes: over the whole written
  // range (spec §3), so a line this allocates in one piece may be pushed out by the next before the write.
  if (!snoop && s.cache.prefetch === 'speculative') {
    cpuAccessPieces(s, r.pieces.filter((p) => p.cacheable).map((p) => ({ phys: p.target, len: p.len })), { kind: 'alloc', cause: 'speculative' });
  }
  for (const p of r.pieces) {
    if (s.recording) emit(s, { type: 'dma', device: dev.name, access: 'write', phys: p.target, len: p.len, snoop });
    const runs = [{ len: p.len, value, seq }];
    recordNewest(s, p.logical, p.len, value, seq);
    writeRuns(s.mem, p.target, runs);
    if (snoop) updateCopies(s, p.target, runs);
  }
}

/** cache.prefetch: the CPU allocates clean lines over cacheable bytes of the buffer. */
export function cachePrefetch(s: MachineState, h: Handle, off: number, len: number): void {
  const b = accessedBuffer(s, h, 'cache.prefetch', 'of', 'ignored');
  // Unlike a failed allocation's NULL, freed memory takes cache events without a misuse: the hardware may touch any line.
  if (!b || !b.cacheable) return;
  cpuAccessPieces(s, bufferPieces(b, off, clip(s, b, off, len, 'cache.prefetch')), { kind: 'alloc', cause: 'prefetch' });
}

/** cache.evict: capacity eviction of the buffer's lines (dirty ones written back). */
export function cacheEvict(s: MachineState, h: Handle, off: number, len: number): void {
  const b = accessedBuffer(s, h, 'cache.evict', 'of', 'ignored');
  if (!b) return;
  for (const p of bufferPieces(b, off, clip(s, b, off, len, 'cache.evict'))) evictRange(s, p.phys, p.len);
}

