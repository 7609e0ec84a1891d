// Decodes the events of the dma, swiotlb, iommu and dma_fence groups (and ftrace markers) from a record's fields,
// by name, for Linux 6.12 (`dma_map_page`) and 6.18 (`dma_map_phys`) alike; anything else is an opaque step.
import { cut } from '../text/shorten';
import { FieldIndex } from './fields';
import { DMA_MAPPING_ERROR } from './recordLayout';
import type { TraceRecord } from './record';

export type TraceDirection = 'TO_DEVICE' | 'FROM_DEVICE' | 'BIDIRECTIONAL' | 'NONE';
/** Which allocator a `dma_alloc*`/`dma_free*` pair belongs to; a free must match its allocation's. */
export type AllocApi = 'coherent' | 'pages' | 'sgt';

export type DmaEvent =
  | { op: 'map'; device: string; dir: TraceDirection; dma: number; size: number; phys: number; attrs: string }
  | { op: 'unmap'; device: string; dir: TraceDirection; dma: number; size: number; attrs: string }
  | {
      op: 'map_sg'; device: string; dir: TraceDirection; attrs: string;
      /** `nents=shown/full`, `ents=shown/full` (arrays stop at 128 entries: `truncated`). */
      nents: number; ents: number; truncated: boolean;
      dmas: number[]; sizes: number[]; phys: number[];
    }
  | { op: 'map_sg_err'; device: string; dir: TraceDirection; phys: number[]; err: number }
  | { op: 'unmap_sg'; device: string; dir: TraceDirection; phys: number[]; attrs: string }
  | { op: 'sync'; forCpu: boolean; device: string; dir: TraceDirection; dma: number; size: number }
  | { op: 'sync_sg'; forCpu: boolean; device: string; dir: TraceDirection; dmas: number[]; sizes: number[] }
  // `virt`: the CPU address as the trace prints it (`%p`, hashed: the same pointer prints the same within a boot).
  | { op: 'alloc'; api: AllocApi; device: string; dma: number; size: number; failed: boolean; virt?: string }
  | { op: 'free'; api: AllocApi; device: string; dma: number; size: number; virt?: string }
  | { op: 'bounce'; device: string; phys: number; size: number; dmaMask: number; forced: boolean }
  | { op: 'iommu_map'; iova: number; paddr: number; size: number }
  | { op: 'iommu_unmap'; iova: number; size: number; unmapped: number }
  | { op: 'fence'; what: string; driver: string; timeline: string; context: number; seqno: number }
  | { op: 'mark'; text: string }
  | { op: 'other' }
  /** A known event whose fields could not be read: the line counts as malformed. */
  | { op: 'bad'; why: string };

/** `dir=` values, by the number the kernel gives each (enum dma_data_direction). */
export const DIRECTIONS: readonly TraceDirection[] = ['TO_DEVICE', 'FROM_DEVICE', 'BIDIRECTIONAL', 'NONE'];

/** Reused for every event: decoding is synchronous and keeps nothing from it. */
const f = new FieldIndex();

/** `dir=` as printed, the kernel's `DMA_` spelling too. */
const DIRECTION_OF = new Map<string, TraceDirection>(DIRECTIONS.flatMap((d) => [[d, d], ['DMA_' + d, d]]));

function direction(): TraceDirection | undefined {
  const text = f.text('dir');
  return text === undefined ? undefined : DIRECTION_OF.get(text);
}

function bad(why: string): DmaEvent {
  return { op: 'bad', why };
}

const nan = Number.isNaN;

/** Why a required field is missing or unreadable (called only once one is). */
function missing(names: string[], values: (number | unknown[] | undefined)[]): string {
  const name = names[Math.max(0, values.findIndex((v) => v === undefined || (typeof v === 'number' && nan(v))))];
  // A number too wide to hold exactly (fields.ts): say so, not that it is unreadable.
  return f.isWide(name) ? `${name}=${cut(f.text(name) ?? '')} is 2^53 or more, which no number here holds exactly` : `no readable ${name}=`;
}

/** The single-mapping events of the kernel versions (6.18's `_phys`, 6.12's `_page`, and `_resource`). */
export const SINGLE_MAP_NAMES = ['dma_map_phys', 'dma_map_page', 'dma_map_resource'] as const;
export const SINGLE_UNMAP_NAMES = ['dma_unmap_phys', 'dma_unmap_page', 'dma_unmap_resource'] as const;
const SINGLE_MAPS = new Set<string>(SINGLE_MAP_NAMES);
const SINGLE_UNMAPS = new Set<string>(SINGLE_UNMAP_NAMES);
const ALLOCS: Record<string, AllocApi> = { dma_alloc: 'coherent', dma_alloc_pages: 'pages', dma_alloc_sgt: 'sgt' };
const FREES: Record<string, AllocApi> = { dma_free: 'coherent', dma_free_pages: 'pages', dma_free_sgt: 'sgt' };

function decodeStreaming(name: string): DmaEvent {
  const device = f.word(0) ?? '';
  const dir = direction();
  if (!dir) return bad('no readable dir=');
  const attrs = f.text('attrs') ?? '';
  if (SINGLE_MAPS.has(name)) {
    const dma = f.hex('dma_addr');
    const size = f.dec('size');
    const phys = f.hex('phys_addr');
    if (nan(dma) || nan(size) || nan(phys)) return bad(missing(['dma_addr', 'size', 'phys_addr'], [dma, size, phys]));
    return { op: 'map', device, dir, dma, size, phys, attrs };
  }
  if (SINGLE_UNMAPS.has(name)) {
    const dma = f.hex('dma_addr');
    const size = f.dec('size');
    if (nan(dma) || nan(size)) return bad(missing(['dma_addr', 'size'], [dma, size]));
    return { op: 'unmap', device, dir, dma, size, attrs };
  }
  switch (name) {
    case 'dma_map_sg': {
      const nents = f.pairFull('nents');
      const ents = f.pairFull('ents');
      const dmas = f.array('dma_addrs');
      const sizes = f.array('sizes');
      const phys = f.array('phys_addrs');
      if (nan(nents) || nan(ents) || !dmas || !sizes || !phys) return bad(missing(['nents', 'ents', 'dma_addrs', 'sizes', 'phys_addrs'], [nents, ents, dmas, sizes, phys]));
      if (dmas.length !== sizes.length) return bad('dma_addrs= and sizes= differ in length');
      return { op: 'map_sg', device, dir, attrs, nents, ents, truncated: f.hasWord('[TRUNCATED]'), dmas, sizes, phys };
    }
    case 'dma_map_sg_err': {
      // The 6.18 format prints the physical addresses under the name `dma_addrs`.
      const phys = f.array('phys_addrs') ?? f.array('dma_addrs') ?? [];
      const err = f.dec('err');
      return { op: 'map_sg_err', device, dir, phys, err: Number.isNaN(err) ? 0 : err };
    }
    case 'dma_unmap_sg': {
      const phys = f.array('phys_addrs');
      return phys && phys.length > 0 ? { op: 'unmap_sg', device, dir, phys, attrs } : bad('no readable phys_addrs=');
    }
    case 'dma_sync_single_for_cpu':
    case 'dma_sync_single_for_device': {
      const dma = f.hex('dma_addr');
      const size = f.dec('size');
      if (nan(dma) || nan(size)) return bad(missing(['dma_addr', 'size'], [dma, size]));
      return { op: 'sync', forCpu: name.endsWith('cpu'), device, dir, dma, size };
    }
    case 'dma_sync_sg_for_cpu':
    case 'dma_sync_sg_for_device': {
      const dmas = f.array('dma_addrs');
      const sizes = f.array('sizes');
      if (!dmas || !sizes || dmas.length !== sizes.length) return bad('no readable dma_addrs= and sizes=');
      return { op: 'sync_sg', forCpu: name.endsWith('cpu'), device, dir, dmas, sizes };
    }
  }
  const api = ALLOCS[name] ?? FREES[name];
  const dma = f.hex('dma_addr');
  const size = f.dec('size');
  if (nan(dma) || nan(size)) return bad(missing(['dma_addr', 'size'], [dma, size]));
  return allocation(ALLOCS[name] !== undefined, api, device, dma, size, f.text('virt_addr'));
}

/** The event of an allocation (`alloc`) or free of `api`, whose `virt_addr=` printed `virt`. */
export function allocation(alloc: boolean, api: AllocApi, device: string, dma: number, size: number, virt: string | undefined): DmaEvent {
  if (!alloc) return { op: 'free', api, device, dma, size, virt };
  const failed = dma === DMA_MAPPING_ERROR || virt === '(null)' || (virt !== undefined && /^0+$/.test(virt));
  return { op: 'alloc', api, device, dma, size, failed, virt };
}

const STREAMING = new Set([
  ...SINGLE_MAPS, ...SINGLE_UNMAPS, ...Object.keys(ALLOCS), ...Object.keys(FREES),
  'dma_map_sg', 'dma_map_sg_err', 'dma_unmap_sg', 'dma_sync_single_for_cpu', 'dma_sync_single_for_device',
  'dma_sync_sg_for_cpu', 'dma_sync_sg_for_device',
]);

const OTHERS = new Set(['dma_alloc_sgt_err', 'swiotlb_bounced', 'map', 'unmap']);

/** The typed event of an `event` record. */
export function decodeEvent(r: TraceRecord): DmaEvent {
  const name = r.event;
  if (name === 'tracing_mark_write') return { op: 'mark', text: r.body };
  if (r.bodyStart < 0 || !(STREAMING.has(name) || OTHERS.has(name) || name.startsWith('dma_fence_'))) return { op: 'other' };
  f.scan(r.src, r.bodyStart, r.end);
  if (STREAMING.has(name)) return decodeStreaming(name);
  if (name === 'dma_alloc_sgt_err') {
    const size = f.dec('size');
    return { op: 'alloc', api: 'sgt', device: f.word(0) ?? '', dma: DMA_MAPPING_ERROR, size: Number.isNaN(size) ? 0 : size, failed: true };
  }
  switch (name) {
    case 'swiotlb_bounced': {
      const device = f.text('dev_name');
      const phys = f.hex('dev_addr');
      const size = f.dec('size');
      if (nan(phys) || nan(size)) return bad(missing(['dev_addr', 'size'], [phys, size]));
      if (!device) return bad('no dev_name');
      return { op: 'bounce', device, phys, size, dmaMask: f.hex('dma_mask'), forced: f.hasWord('FORCE') };
    }
    case 'map':
    case 'unmap': {
      // iommu:map/unmap print `IOMMU: iova=0x... - 0x... ...`; other groups' `map` events are opaque.
      if (f.word(0) !== 'IOMMU:') return { op: 'other' };
      const iova = f.hex('iova');
      const size = f.dec('size');
      if (name === 'map') {
        const paddr = f.hex('paddr');
        if (nan(iova) || nan(paddr) || nan(size)) return bad(missing(['iova', 'paddr', 'size'], [iova, paddr, size]));
        return { op: 'iommu_map', iova, paddr, size };
      }
      const unmapped = f.dec('unmapped_size');
      if (nan(iova) || nan(size)) return bad(missing(['iova', 'size'], [iova, size]));
      return { op: 'iommu_unmap', iova, size, unmapped: Number.isNaN(unmapped) ? size : unmapped };
    }
  }
  if (name.startsWith('dma_fence_')) {
    const context = f.dec('context');
    const seqno = f.dec('seqno');
    if (nan(context) || nan(seqno)) return bad(missing(['context', 'seqno'], [context, seqno]));
    return { op: 'fence', what: name.slice('dma_fence_'.length), driver: f.text('driver') ?? '', timeline: f.text('timeline') ?? '', context, seqno };
  }
  return { op: 'other' };
}
