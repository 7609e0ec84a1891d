// Decodes the events of the dma, swiotlb, iommu and dma_fence groups (and ftrace markers) from a record's fields,
// by name, for Linux 6.12 (`dma_map_page`) and 6.18 (`dma_map_phys`) alike; anything else is an opaque step.
import { arrayField, decField, field, fieldAt, firstWord, hexField, pairField, DMA_MAPPING_ERROR } from './fields';
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
  | { op: 'alloc'; api: AllocApi; device: string; dma: number; size: number; failed: boolean }
  | { op: 'free'; api: AllocApi; device: string; dma: number; size: number }
  | { op: 'bounce'; device: string; phys: number; size: number; dmaMask: number; forced: boolean }
  | { op: 'iommu_map'; iova: number; paddr: number; size: number }
  | { op: 'iommu_unmap'; iova: number; size: number; unmapped: number }
  | { op: 'fence'; what: string; driver: string; timeline: string; context: number; seqno: number }
  | { op: 'mark'; text: string }
  | { op: 'other' }
  /** A known event whose fields could not be read: the line counts as malformed. */
  | { op: 'bad'; why: string };

const DIRECTIONS: TraceDirection[] = ['TO_DEVICE', 'FROM_DEVICE', 'BIDIRECTIONAL', 'NONE'];

/** `dir=`, read in place (it is on every streaming event); the kernel's `DMA_` spelling is accepted too. */
function direction(body: string): TraceDirection | undefined {
  let a = fieldAt(body, 'dir');
  if (a < 0) return undefined;
  if (body.startsWith('DMA_', a)) a += 4;
  for (const d of DIRECTIONS) {
    const end = a + d.length;
    if (body.startsWith(d, a) && (end === body.length || body.charCodeAt(end) === 32)) return d;
  }
  return undefined;
}

function bad(why: string): DmaEvent {
  return { op: 'bad', why };
}

function missing(...names: [string, number | unknown[] | undefined][]): string | undefined {
  for (const [name, v] of names) if (v === undefined || (typeof v === 'number' && Number.isNaN(v))) return `no readable ${name}=`;
  return undefined;
}

const SINGLE_MAPS = new Set(['dma_map_phys', 'dma_map_page', 'dma_map_resource']);
const SINGLE_UNMAPS = new Set(['dma_unmap_phys', 'dma_unmap_page', 'dma_unmap_resource']);
const ALLOCS: Record<string, AllocApi> = { dma_alloc: 'coherent', dma_alloc_pages: 'pages', dma_alloc_sgt: 'sgt' };
const FREES: Record<string, AllocApi> = { dma_free: 'coherent', dma_free_pages: 'pages', dma_free_sgt: 'sgt' };

function decodeStreaming(name: string, body: string): DmaEvent {
  const device = firstWord(body);
  const dir = direction(body);
  if (!dir) return bad('no readable dir=');
  const attrs = field(body, 'attrs') ?? '';
  if (SINGLE_MAPS.has(name) || SINGLE_UNMAPS.has(name)) {
    const dma = hexField(body, 'dma_addr');
    const size = decField(body, 'size');
    if (SINGLE_UNMAPS.has(name)) {
      const why = missing(['dma_addr', dma], ['size', size]);
      return why ? bad(why) : { op: 'unmap', device, dir, dma, size, attrs };
    }
    const phys = hexField(body, 'phys_addr');
    const why = missing(['dma_addr', dma], ['size', size], ['phys_addr', phys]);
    return why ? bad(why) : { op: 'map', device, dir, dma, size, phys, attrs };
  }
  switch (name) {
    case 'dma_map_sg': {
      const nents = pairField(body, 'nents');
      const ents = pairField(body, 'ents');
      const dmas = arrayField(body, 'dma_addrs');
      const sizes = arrayField(body, 'sizes');
      const phys = arrayField(body, 'phys_addrs');
      if (!nents || !ents || !dmas || !sizes || !phys || dmas.length !== sizes.length) return bad('no readable nents=, ents=, dma_addrs=, sizes= or phys_addrs=');
      return { op: 'map_sg', device, dir, attrs, nents: nents[1], ents: ents[1], truncated: body.includes(' [TRUNCATED]'), dmas, sizes, phys };
    }
    case 'dma_map_sg_err': {
      // The 6.18 format names the physical addresses `dma_addrs`.
      const phys = arrayField(body, 'phys_addrs') ?? arrayField(body, 'dma_addrs') ?? [];
      const err = decField(body, 'err');
      return { op: 'map_sg_err', device, dir, phys, err: Number.isNaN(err) ? 0 : err };
    }
    case 'dma_unmap_sg': {
      const phys = arrayField(body, 'phys_addrs');
      return phys && phys.length > 0 ? { op: 'unmap_sg', device, dir, phys, attrs } : bad('no readable phys_addrs=');
    }
    case 'dma_sync_single_for_cpu':
    case 'dma_sync_single_for_device': {
      const dma = hexField(body, 'dma_addr');
      const size = decField(body, 'size');
      const why = missing(['dma_addr', dma], ['size', size]);
      return why ? bad(why) : { op: 'sync', forCpu: name.endsWith('cpu'), device, dir, dma, size };
    }
    case 'dma_sync_sg_for_cpu':
    case 'dma_sync_sg_for_device': {
      const dmas = arrayField(body, 'dma_addrs');
      const sizes = arrayField(body, 'sizes');
      if (!dmas || !sizes || dmas.length !== sizes.length) return bad('no readable dma_addrs= and sizes=');
      return { op: 'sync_sg', forCpu: name.endsWith('cpu'), device, dir, dmas, sizes };
    }
  }
  const api = ALLOCS[name] ?? FREES[name];
  const dma = hexField(body, 'dma_addr');
  const size = decField(body, 'size');
  const why = missing(['dma_addr', dma], ['size', size]);
  if (why) return bad(why);
  if (ALLOCS[name]) {
    const virt = field(body, 'virt_addr');
    const failed = dma === DMA_MAPPING_ERROR || virt === '(null)' || (virt !== undefined && /^0+$/.test(virt));
    return { op: 'alloc', api, device, dma, size, failed };
  }
  return { op: 'free', api, device, dma, size };
}

const STREAMING = new Set([
  ...SINGLE_MAPS, ...SINGLE_UNMAPS, ...Object.keys(ALLOCS), ...Object.keys(FREES), 'dma_alloc_sgt_err',
  'dma_map_sg', 'dma_map_sg_err', 'dma_unmap_sg', 'dma_sync_single_for_cpu', 'dma_sync_single_for_device',
  'dma_sync_sg_for_cpu', 'dma_sync_sg_for_device',
]);

/** The typed event of an `event` record. */
export function decodeEvent(r: TraceRecord): DmaEvent {
  const name = r.event;
  const body = r.body;
  if (STREAMING.has(name)) {
    if (name === 'dma_alloc_sgt_err') {
      const size = decField(body, 'size');
      return { op: 'alloc', api: 'sgt', device: firstWord(body), dma: DMA_MAPPING_ERROR, size: Number.isNaN(size) ? 0 : size, failed: true };
    }
    return decodeStreaming(name, body);
  }
  switch (name) {
    case 'swiotlb_bounced': {
      const device = field(body, 'dev_name') ?? (body.startsWith('dev_name: ') ? firstWord(body.slice('dev_name: '.length)) : undefined);
      const phys = hexField(body, 'dev_addr');
      const size = decField(body, 'size');
      const why = missing(['dev_addr', phys], ['size', size]) ?? (device ? undefined : 'no dev_name');
      return why ? bad(why) : { op: 'bounce', device: device!, phys, size, dmaMask: hexField(body, 'dma_mask'), forced: / FORCE\b/.test(body) };
    }
    case 'map':
    case 'unmap': {
      // iommu:map/unmap print `IOMMU: iova=0x... - 0x... ...`; other groups' `map` events are opaque.
      if (!body.startsWith('IOMMU:')) return { op: 'other' };
      const iova = hexField(body, 'iova');
      const size = decField(body, 'size');
      if (name === 'map') {
        const paddr = hexField(body, 'paddr');
        const why = missing(['iova', iova], ['paddr', paddr], ['size', size]);
        return why ? bad(why) : { op: 'iommu_map', iova, paddr, size };
      }
      const unmapped = decField(body, 'unmapped_size');
      const why = missing(['iova', iova], ['size', size]);
      return why ? bad(why) : { op: 'iommu_unmap', iova, size, unmapped: Number.isNaN(unmapped) ? size : unmapped };
    }
    case 'tracing_mark_write':
      return { op: 'mark', text: body };
  }
  if (name.startsWith('dma_fence_')) {
    const context = decField(body, 'context');
    const seqno = decField(body, 'seqno');
    const why = missing(['context', context], ['seqno', seqno]);
    return why ? bad(why) : { op: 'fence', what: name.slice('dma_fence_'.length), driver: field(body, 'driver') ?? '', timeline: field(body, 'timeline') ?? '', context, seqno };
  }
  return { op: 'other' };
}

/** The device an event concerns, if it names one. */
export function eventDevice(e: DmaEvent): string | undefined {
  return 'device' in e ? e.device : undefined;
}
