// The streaming DMA API (spec §4, §6, §7): dma_map_single / dma_map_sg and their unmaps and syncs, through
// dma-direct (with swiotlb bouncing) or the IOMMU, with the architecture's cache maintenance and the hand-over
// of ownership. These functions act on buffers and mappings, so dma-buf exporters map through the same path.

import type { Direction } from '../language/ast';
import { BufferPiece, bufferName, bufferPieces, newHandle, newId } from './buffers';
import { DeviceConfig, crossesBoundary, dmaCapable, maskLimit, maxSegment } from './device';
import { hex } from './events';
import { freeIova, iommuMapSg, iommuMapSingle } from './iommu';
import { giveToDevice, takeFromDevice } from './ownership';
import { archSyncForCpu, archSyncForDevice, snoops } from './platform';
import type { PhysRange } from './rangeAllocator';
import { emit, fail, traced } from './report';
import { SgTable, contiguousRuns, unmergedTable } from './sgTable';
import type { Buffer, Handle, MachineState, MapSeg, Mapping } from './state';
import { allocSlots, bounceFromSlot, bounceToSlot, freeSlots } from './swiotlb';


const copiesToDevice = (dir: Direction): boolean => dir !== 'FROM_DEVICE';
const copiesToCpu = (dir: Direction): boolean => dir !== 'TO_DEVICE';

/** A new mapping record with its handle; it starts failed until the map succeeds. */
export function newMapping(s: MachineState, dev: DeviceConfig, b: Buffer, kind: 'single' | 'sg', off: number, size: number, dir: Direction): { m: Mapping; h: Handle } {
  const id = newId(s);
  const m: Mapping = { id, device: dev.name, kind, buffer: b.id, off, size, dir, segs: [], dmaAddress: 0, iova: [], slots: [], owned: [], failed: true, live: false, createdAt: s.loc };
  s.mappings.set(id, m);
  return { m, h: newHandle(s, id, kind === 'single' ? 'dma_handle' : 'sg', { type: kind === 'single' ? 'dma_handle' : 'sg', mapping: id }) };
}

/** Undoes the pieces mapped so far of a map that failed part-way (as the kernel does, without CPU sync). */
function undo(s: MachineState, m: Mapping): void {
  for (const g of m.segs) if (g.bounced) freeSlots(s, g.target, 'failed map');
  for (const r of m.iova) freeIova(s, m.device, r);
  m.segs = [];
  m.iova = [];
  m.slots = [];
}

/**
 * dma_direct_map_page for one piece: bounce through swiotlb when forced or out of the mask's reach (the map
 * copies the original into the slot whatever the direction), then clean/invalidate for a noncoherent device.
 */
function mapDirectPiece(s: MachineState, dev: DeviceConfig, m: Mapping, b: Buffer, p: BufferPiece, skip: boolean): number | undefined {
  return traced(s, 'dma_direct_map_page', () => `${hex(p.phys)} +${hex(p.len)}`, () => {
    let target = p.phys;
    const bounce = s.platform.swiotlbForce || !dmaCapable(dev, p.phys, p.len);
    if (bounce) {
      const slot = traced(s, 'swiotlb_tbl_map_single', s.platform.swiotlbForce ? 'swiotlb=force' : `dma_mask=${dev.dmaMask} cannot reach ${hex(p.phys + p.len - 1)}`, () => {
        const r = allocSlots(s, p.phys, p.len, b.cacheable, m.id, maskLimit(dev));
        if (!r.ok) return r.why;
        bounceToSlot(s, r.slot, 0, p.len);
        return r.slot;
      });
      if (typeof slot === 'string') {
        fail(s, 'api-misuse', `${dev.name}: mapping ${bufferName(b)} failed: ${slot}`, [{ loc: b.createdAt, message: 'allocated here' }], 'map-failed');
        return undefined;
      }
      target = slot;
      m.slots.push({ phys: slot, len: p.len });
    }
    m.segs.push({ bufOff: p.bufOff, len: p.len, phys: p.phys, target, bounced: bounce });
    if (!skip && !snoops(s, dev)) archSyncForDevice(s, target, p.len, m.dir);
    return target;
  });
}

function mapIommuSingle(s: MachineState, dev: DeviceConfig, m: Mapping, b: Buffer, p: BufferPiece, skip: boolean): number | undefined {
  return traced(s, 'iommu_dma_map_page', () => `${hex(p.phys)} +${hex(p.len)}`, () => {
    if (!skip && !snoops(s, dev)) archSyncForDevice(s, p.phys, p.len, m.dir);
    const r = iommuMapSingle(s, dev, p.phys, p.len);
    if (!r) {
      fail(s, 'api-misuse', `${dev.name}: mapping ${bufferName(b)} failed: IOVA space exhausted`, [], 'map-failed');
      return undefined;
    }
    m.iova.push(r.iova);
    m.segs.push({ bufOff: p.bufOff, len: p.len, phys: p.phys, target: p.phys, bounced: false });
    return r.dma;
  });
}

function goLive(s: MachineState, m: Mapping, b: Buffer, off: number, len: number): void {
  m.failed = false;
  m.live = true;
  b.mapped.push(m.id);
  b.lastMapping = m.id;
  if (s.recording) emit(s, { type: 'map', mapping: m.id, device: m.device, dir: m.dir, kind: m.kind === 'single' ? 'single' : 'sg', size: m.size });
  giveToDevice(s, b, off, len, m);
}

/** dma_map_single of buffer bytes [off, +len) (already checked and clipped by the caller). */
export function mapSingle(s: MachineState, dev: DeviceConfig, m: Mapping, b: Buffer, off: number, len: number, skip: boolean): void {
  traced(s, 'dma_map_page_attrs', () => `${m.dir}${skip ? ', SKIP_CPU_SYNC' : ''}`, () => {
    const pieces = bufferPieces(b, off, len);
    if (pieces.length !== 1) {
      fail(s, 'api-misuse', `${dev.name}: dma_map_single of ${bufferName(b)}: the range is not physically contiguous`, [], 'not-contiguous');
      return;
    }
    const dma = dev.iommu ? mapIommuSingle(s, dev, m, b, pieces[0], skip) : mapDirectPiece(s, dev, m, b, pieces[0], skip);
    if (dma === undefined) return;
    m.dmaAddress = dma;
    goLive(s, m, b, off, len);
  });
}

/** What breaks the device's constraints in a set of DMA segments (spec §7), or undefined. */
function constraintProblem(dev: DeviceConfig, segs: readonly PhysRange[], needOne: boolean): string | undefined {
  if (needOne && segs.length > 1) return `${dev.name} is contiguous (needs one segment, has no IOMMU) but the sg table has ${segs.length} entries`;
  const max = maxSegment(dev);
  const long = segs.find((g) => g.len > max);
  if (long) return `a segment of ${long.len} bytes at ${hex(long.phys)} exceeds ${dev.name}'s max_segment_size ${max}`;
  const crossing = segs.find((g) => crossesBoundary(dev, g.phys, g.len));
  if (crossing) return `the segment at ${hex(crossing.phys)} +${hex(crossing.len)} crosses ${dev.name}'s segment_boundary ${hex(dev.segmentBoundary ?? 0)}`;
  return undefined;
}

/**
 * dma_map_sg over physical runs `runs` of buffer `b`, in buffer order (by default one sg entry per
 * contiguous run; an exporter may pass its attachment's own table). Behind an IOMMU the
 * runs are merged as far as the segment limits allow; without one each run is its own segment, bounced
 * separately if needed. A table breaking the device's constraints fails with constraint-violation.
 */
export function mapSg(s: MachineState, dev: DeviceConfig, m: Mapping, b: Buffer, skip: boolean, runs: PhysRange[] = contiguousRuns(b.segs)): void {
  traced(s, 'dma_map_sg_attrs', `${m.dir}${skip ? ', SKIP_CPU_SYNC' : ''}, ${runs.length} entries`, () => {
    const table = dev.iommu ? mapSgIommu(s, dev, m, b, runs, skip) : mapSgDirect(s, dev, m, b, runs, skip);
    if (!table) return;
    m.sg = table;
    m.dmaAddress = table.entries[0]?.dma_address ?? 0;
    emit(s, { type: 'sg', mapping: m.id, device: dev.name, entries: table.entries.map((e) => ({ ...e })), nents: table.nents, orig_nents: table.orig_nents });
    goLive(s, m, b, 0, b.size);
  });
}

function mapSgIommu(s: MachineState, dev: DeviceConfig, m: Mapping, b: Buffer, runs: PhysRange[], skip: boolean): SgTable | undefined {
  return traced(s, 'iommu_dma_map_sg', undefined, () => {
    if (!skip && !snoops(s, dev)) for (const r of runs) archSyncForDevice(s, r.phys, r.len, m.dir);
    const res = iommuMapSg(s, dev, runs);
    if (!res) {
      fail(s, 'api-misuse', `${dev.name}: dma_map_sg of ${bufferName(b)} failed: IOVA space exhausted`, [], 'map-failed');
      return undefined;
    }
    m.iova.push(res.iova);
    const segs = res.table.entries.slice(0, res.table.nents).map((e) => ({ phys: e.dma_address, len: e.dma_length }));
    const problem = constraintProblem(dev, segs, false);
    if (problem) {
      undo(s, m);
      fail(s, 'constraint-violation', `dma_map_sg of ${bufferName(b)} for ${dev.name} failed: ${problem}, even after IOMMU merging`, [{ loc: b.createdAt, message: 'allocated here' }], 'sg-constraints');
      return undefined;
    }
    let off = 0;
    for (const r of runs) {
      m.segs.push({ bufOff: off, len: r.len, phys: r.phys, target: r.phys, bounced: false });
      off += r.len;
    }
    return res.table;
  });
}

function mapSgDirect(s: MachineState, dev: DeviceConfig, m: Mapping, b: Buffer, runs: PhysRange[], skip: boolean): SgTable | undefined {
  return traced(s, 'dma_direct_map_sg', undefined, () => {
    const problem = constraintProblem(dev, runs, dev.contiguous);
    if (problem) {
      fail(s, 'constraint-violation', `dma_map_sg of ${bufferName(b)} for ${dev.name} failed: ${problem}`, [{ loc: b.createdAt, message: 'allocated here' }], 'sg-constraints');
      return undefined;
    }
    const dmas: number[] = [];
    let off = 0;
    for (const r of runs) {
      const dma = mapDirectPiece(s, dev, m, b, { bufOff: off, phys: r.phys, len: r.len }, skip);
      if (dma === undefined) {
        undo(s, m);
        return undefined;
      }
      dmas.push(dma);
      off += r.len;
    }
    return unmergedTable(runs, (i) => dmas[i]);
  });
}

/** A piece of a mapping range: `len` bytes at offset `at` of segment `seg`. */
interface SegPiece {
  seg: MapSeg;
  at: number;
  len: number;
}

/** The segment pieces of mapping bytes [off, +len), in mapping order. */
export function mappingPieces(m: Mapping, off: number, len: number): SegPiece[] {
  const out: SegPiece[] = [];
  for (const g of m.segs) {
    const pos = g.bufOff - m.off;
    const a = Math.max(off, pos);
    const e = Math.min(off + len, pos + g.len);
    if (a < e) out.push({ seg: g, at: a - pos, len: e - a });
  }
  return out;
}

/** sync_for_cpu work on mapping bytes [off, +len): invalidate (noncoherent), then copy bounce slots back. */
function toCpu(s: MachineState, dev: DeviceConfig, m: Mapping, off: number, len: number, dir: Direction): void {
  for (const p of mappingPieces(m, off, len)) {
    if (!snoops(s, dev)) archSyncForCpu(s, p.seg.target + p.at, p.len, dir);
    if (p.seg.bounced && copiesToCpu(dir)) bounceFromSlot(s, p.seg.target, p.at, p.len);
  }
}

/** sync_for_device work: copy into bounce slots, then clean (noncoherent). */
function toDevice(s: MachineState, dev: DeviceConfig, m: Mapping, off: number, len: number, dir: Direction): void {
  for (const p of mappingPieces(m, off, len)) {
    if (p.seg.bounced && copiesToDevice(dir)) bounceToSlot(s, p.seg.target, p.at, p.len);
    if (!snoops(s, dev)) archSyncForDevice(s, p.seg.target + p.at, p.len, dir);
  }
}

/**
 * Unmap (single or sg): unless SKIP_CPU_SYNC, the sync_for_cpu work over `len` bytes with `dir` (what the
 * caller passed, as the kernel uses it); then slots and IOVA are released and the CPU owns the buffer again.
 */
export function unmap(s: MachineState, dev: DeviceConfig, m: Mapping, len: number, dir: Direction, skip: boolean): void {
  traced(s, m.kind === 'single' ? 'dma_unmap_page_attrs' : 'dma_unmap_sg_attrs', () => `${dir}${skip ? ', SKIP_CPU_SYNC' : ''}`, () => {
    if (!skip) toCpu(s, dev, m, 0, Math.min(len, m.size), dir);
    for (const g of m.segs) if (g.bounced) traced(s, 'swiotlb_tbl_unmap_single', undefined, () => freeSlots(s, g.target, skip ? 'unmap with SKIP_CPU_SYNC, nothing copied back' : 'unmap'));
    for (const r of m.iova) freeIova(s, m.device, r);
    m.live = false;
    m.releasedAt = s.loc;
    if (s.recording) emit(s, { type: 'unmap', mapping: m.id, device: m.device, dir: m.dir, kind: m.kind === 'single' ? 'single' : 'sg', size: m.size });
    const b = s.buffers.get(m.buffer);
    if (!b) return;
    b.mapped = b.mapped.filter((id) => id !== m.id);
    takeFromDevice(s, b, m.off, m.size, m);
  });
}

/** dma_sync_*_for_cpu of mapping bytes [off, +len): the CPU owns them afterwards. */
export function syncForCpu(s: MachineState, dev: DeviceConfig, m: Mapping, off: number, len: number, dir: Direction): void {
  traced(s, m.kind === 'single' ? 'dma_sync_single_for_cpu' : 'dma_sync_sg_for_cpu', () => `${dir} [${hex(off)}, +${hex(len)})`, () => {
    toCpu(s, dev, m, off, len, dir);
    const b = s.buffers.get(m.buffer);
    if (b) takeFromDevice(s, b, m.off + off, len, m);
  });
}

/** dma_sync_*_for_device of mapping bytes [off, +len): the device owns them afterwards. */
export function syncForDevice(s: MachineState, dev: DeviceConfig, m: Mapping, off: number, len: number, dir: Direction): void {
  traced(s, m.kind === 'single' ? 'dma_sync_single_for_device' : 'dma_sync_sg_for_device', () => `${dir} [${hex(off)}, +${hex(len)})`, () => {
    toDevice(s, dev, m, off, len, dir);
    const b = s.buffers.get(m.buffer);
    if (b) giveToDevice(s, b, m.off + off, len, m);
  });
}
