// The calls of the language (spec §4): each operation's parameters and what it returns.
// The resolver checks arguments against this table; the runtime dispatches on `op`.

/** What a handle binding holds; a parameter accepts one or more of these. */
export type HandleType = 'cpu_ptr' | 'dma_handle' | 'sg' | 'coherent' | 'dmabuf' | 'attachment';

export type ParamKind =
  | { kind: 'size' } // a number > 0
  | { kind: 'number' } // a number >= 0 (offsets, lengths may be 0 only where noted)
  | { kind: 'byte' } // 0..0xFF
  | { kind: 'device' } // a declared device
  | { kind: 'handle'; accepts: HandleType[] }
  | { kind: 'direction' }
  | { kind: 'word'; choices: string[] } // one of fixed keywords (heap name, START/END, READ/WRITE/RW)
  | { kind: 'flag'; word: string } // an optional bare keyword such as SKIP_CPU_SYNC; resolves to { kind:'flag', set }
  | { kind: 'owner' } // cpu | none | DEV:DIR
  | { kind: 'hazardKind' };

export interface Param {
  name: string;
  type: ParamKind;
  /** Optional parameters may be omitted; flags are always optional. */
  optional?: boolean;
  /** Only accepted as `name=value`. */
  namedOnly?: boolean;
}

export interface Signature {
  op: string;
  params: Param[];
  returns?: HandleType;
  /** May carry `expect V` (reads) or `expect error` (any call that can fail). */
  expectValue?: boolean;
  /** Spec family, for the grammar, hovers and docs. */
  family: 'memory' | 'streaming' | 'dma-buf' | 'access' | 'cache' | 'check';
  /** One line for hovers: what the call does to ownership and the cache. */
  doc: string;
}

const size = (name: string): Param => ({ name, type: { kind: 'size' } });
const num = (name: string, optional = false): Param => ({ name, type: { kind: 'number' }, optional });
const dev: Param = { name: 'dev', type: { kind: 'device' } };
const dir: Param = { name: 'dir', type: { kind: 'direction' } };
const handle = (name: string, ...accepts: HandleType[]): Param => ({ name, type: { kind: 'handle', accepts } });
const skip: Param = { name: 'skip_cpu_sync', type: { kind: 'flag', word: 'SKIP_CPU_SYNC' }, optional: true };
const offset: Param = { name: 'offset', type: { kind: 'number' }, optional: true, namedOnly: true };
const cpuMemory: HandleType[] = ['cpu_ptr', 'coherent'];
const anyBuffer: HandleType[] = ['cpu_ptr', 'coherent', 'dmabuf'];

const table: Signature[] = [
  // Memory and buffers
  { op: 'kmalloc', family: 'memory', params: [size('size')], returns: 'cpu_ptr', doc: 'Allocates physically contiguous, cacheable memory; the CPU owns it.' },
  { op: 'vmalloc', family: 'memory', params: [size('size')], returns: 'cpu_ptr', doc: 'Allocates scattered pages behind one cacheable virtual range; the CPU owns it.' },
  { op: 'kfree', family: 'memory', params: [handle('p', 'cpu_ptr')], doc: 'Frees kmalloc memory; api-misuse if still mapped for DMA.' },
  { op: 'vfree', family: 'memory', params: [handle('p', 'cpu_ptr')], doc: 'Frees vmalloc memory; api-misuse if still mapped for DMA.' },
  { op: 'phys', family: 'memory', params: [num('addr'), size('size')], returns: 'cpu_ptr', doc: 'Names an existing physically contiguous, cacheable range at a fixed address (never freed).' },
  { op: 'dma_alloc_coherent', family: 'memory', params: [dev, size('size')], returns: 'coherent', doc: 'Allocates a coherent buffer: cleaned, zeroed, and uncached on the CPU side for a noncoherent device.' },
  { op: 'dma_free_coherent', family: 'memory', params: [dev, handle('c', 'coherent')], doc: 'Frees a coherent buffer.' },
  { op: 'dma_heap_alloc', family: 'dma-buf', params: [{ name: 'heap', type: { kind: 'word', choices: ['system', 'cma'] } }, size('size')], returns: 'dmabuf', doc: 'Allocates a dma-buf from the system heap (1 MiB/64 KiB/4 KiB runs) or the CMA heap (contiguous).' },
  {
    op: 'dma_buf_export', family: 'dma-buf', returns: 'dmabuf',
    params: [dev, size('size'), { name: 'contiguous', type: { kind: 'flag', word: 'contiguous' }, optional: true }, { name: 'deferred', type: { kind: 'flag', word: 'deferred' }, optional: true }],
    doc: "Exports a dma-buf from dev's driver; deferred allocates at the first map to fit every attached device.",
  },
  { op: 'dma_buf_get', family: 'dma-buf', params: [handle('buf', 'dmabuf')], doc: 'Takes a reference on the dma-buf.' },
  { op: 'dma_buf_put', family: 'dma-buf', params: [handle('buf', 'dmabuf')], doc: 'Drops a reference; the buffer is released at zero.' },

  // Streaming DMA API
  { op: 'dma_map_single', family: 'streaming', params: [dev, handle('p', 'cpu_ptr'), size('size'), dir, offset, skip], returns: 'dma_handle', doc: 'Hands the range to the device: cleans it (arm FROM_DEVICE: invalidates) on a noncoherent platform; may bounce through swiotlb.' },
  { op: 'dma_unmap_single', family: 'streaming', params: [dev, handle('h', 'dma_handle'), size('size'), dir, skip], doc: 'Hands the range back to the CPU: invalidates for FROM_DEVICE/BIDIRECTIONAL, copies bounce slots back.' },
  { op: 'dma_map_sg', family: 'streaming', params: [dev, handle('p', 'cpu_ptr'), dir, skip], returns: 'sg', doc: "Maps every page of the buffer for the device as a scatter-gather table (merged behind an IOMMU); hands it to the device." },
  { op: 'dma_unmap_sg', family: 'streaming', params: [dev, handle('sgt', 'sg'), dir, skip], doc: 'Unmaps the sg table and hands the pages back to the CPU (invalidate for FROM_DEVICE/BIDIRECTIONAL).' },
  { op: 'dma_sync_single_for_cpu', family: 'streaming', params: [dev, handle('h', 'dma_handle'), size('size'), dir, offset], doc: 'Hands (a sub-range of) the mapping back to the CPU: invalidates for FROM_DEVICE/BIDIRECTIONAL.' },
  { op: 'dma_sync_single_for_device', family: 'streaming', params: [dev, handle('h', 'dma_handle'), size('size'), dir, offset], doc: 'Hands (a sub-range of) the mapping to the device: cleans the lines to memory.' },
  { op: 'dma_sync_sg_for_cpu', family: 'streaming', params: [dev, handle('sgt', 'sg'), dir], doc: 'Hands the sg mapping back to the CPU: invalidates for FROM_DEVICE/BIDIRECTIONAL.' },
  { op: 'dma_sync_sg_for_device', family: 'streaming', params: [dev, handle('sgt', 'sg'), dir], doc: 'Hands the sg mapping to the device: cleans the lines to memory.' },

  // dma-buf
  { op: 'dma_buf_attach', family: 'dma-buf', params: [handle('buf', 'dmabuf'), dev], returns: 'attachment', doc: 'Attaches a device to the dma-buf; fails if the pages cannot meet its constraints.' },
  { op: 'dma_buf_detach', family: 'dma-buf', params: [handle('buf', 'dmabuf'), handle('a', 'attachment')], doc: 'Detaches a device; api-misuse while still mapped.' },
  { op: 'dma_buf_map_attachment', family: 'dma-buf', params: [handle('a', 'attachment'), dir], returns: 'sg', doc: "Builds the attachment's sg table and maps it for its device: the device owns the buffer." },
  { op: 'dma_buf_unmap_attachment', family: 'dma-buf', params: [handle('a', 'attachment'), handle('sgt', 'sg'), dir], doc: "Unmaps the attachment's sg table: the CPU owns the buffer again." },
  { op: 'dma_buf_begin_cpu_access', family: 'dma-buf', params: [handle('buf', 'dmabuf'), dir], doc: 'Syncs every mapped attachment for the CPU (invalidate); opens a CPU access bracket.' },
  { op: 'dma_buf_end_cpu_access', family: 'dma-buf', params: [handle('buf', 'dmabuf'), dir], doc: 'Syncs every mapped attachment for its device (clean); closes the CPU access bracket.' },
  { op: 'dma_buf_vmap', family: 'dma-buf', params: [handle('buf', 'dmabuf')], returns: 'cpu_ptr', doc: 'Maps the dma-buf into the kernel: a cacheable CPU pointer.' },
  { op: 'dma_buf_vunmap', family: 'dma-buf', params: [handle('buf', 'dmabuf'), handle('v', 'cpu_ptr')], doc: 'Removes the kernel mapping.' },
  { op: 'dma_buf_mmap', family: 'dma-buf', params: [handle('buf', 'dmabuf')], returns: 'cpu_ptr', doc: 'Maps the dma-buf into userspace: a cacheable CPU pointer, coherent only with DMA_BUF_IOCTL_SYNC brackets.' },
  {
    op: 'dma_buf_sync', family: 'dma-buf',
    params: [handle('buf', 'dmabuf'), { name: 'phase', type: { kind: 'word', choices: ['START', 'END'] } }, { name: 'access', type: { kind: 'word', choices: ['READ', 'WRITE', 'RW'] } }],
    doc: 'DMA_BUF_IOCTL_SYNC: START begins CPU access (sync for CPU), END ends it (sync for device).',
  },

  // Accesses and hardware events
  { op: 'cpu.read', family: 'access', params: [handle('p', ...cpuMemory), num('off'), size('len')], expectValue: true, doc: 'CPU loads through the cache (when the mapping is cacheable).' },
  { op: 'cpu.write', family: 'access', params: [handle('p', ...cpuMemory), num('off'), size('len'), { name: 'value', type: { kind: 'byte' } }], doc: 'CPU stores a byte value over the range; cacheable lines become Dirty.' },
  { op: 'device.read', family: 'access', params: [handle('m', 'dma_handle', 'sg', 'coherent'), num('off'), size('len')], expectValue: true, doc: 'Device DMA read through a mapping; offsets count in the mapping order.' },
  { op: 'device.write', family: 'access', params: [handle('m', 'dma_handle', 'sg', 'coherent'), num('off'), size('len'), { name: 'value', type: { kind: 'byte' } }], doc: 'Device DMA write through a mapping.' },
  { op: 'cache.prefetch', family: 'cache', params: [handle('p', ...cpuMemory), num('off'), size('len')], doc: 'The CPU speculatively allocates clean lines from memory.' },
  { op: 'cache.evict', family: 'cache', params: [handle('p', ...cpuMemory), num('off'), size('len')], doc: 'Capacity eviction: dirty lines are written back, then dropped.' },
  { op: 'cache.evict_all', family: 'cache', params: [], doc: 'Evicts every line: dirty lines are written back, then dropped.' },

  // Checks
  { op: 'expect_owner', family: 'check', params: [handle('buf', ...anyBuffer), { name: 'owner', type: { kind: 'owner' } }, num('off', true), num('len', true)], doc: 'Checks who owns the buffer (or a range of it).' },
  { op: 'expect_hazard', family: 'check', params: [{ name: 'kind', type: { kind: 'hazardKind' } }], doc: 'The statement just before raised this hazard kind.' },
];

export const SIGNATURES: ReadonlyMap<string, Signature> = new Map(table.map((s) => [s.op, s]));

/** `DEV.read` and `DEV.write` resolve to the `device.*` operations with the device as `dev`. */
export function signatureFor(callee: string, isDevice: (name: string) => boolean): Signature | undefined {
  const dot = callee.indexOf('.');
  if (dot > 0) {
    const obj = callee.slice(0, dot);
    if (obj !== 'cpu' && obj !== 'cache' && isDevice(obj)) return SIGNATURES.get('device' + callee.slice(dot));
  }
  return SIGNATURES.get(callee);
}

/** Names no binding, device or proc may take (spec §2). */
export const RESERVED = new Set<string>([
  'platform', 'cache', 'memory', 'device', 'proc', 'repeat', 'expect', 'error', 'cpu',
  ...table.map((s) => s.op).filter((op) => !op.includes('.')),
  'TO_DEVICE', 'FROM_DEVICE', 'BIDIRECTIONAL', 'DMA_TO_DEVICE', 'DMA_FROM_DEVICE', 'DMA_BIDIRECTIONAL',
  'SKIP_CPU_SYNC', 'START', 'END', 'READ', 'WRITE', 'RW',
]);
