// The dma-buf objects of the machine (spec §4 dma-buf) as plain data, kept in MachineState so that snapshots
// clone them with everything else: buffers with their exporter and reference count, attachments with their
// mappings, and the CPU pointers vmap and mmap hand out.
import type { Direction } from '../language/ast';
import type { Loc } from './hazards';

/** Who allocated the pages: a heap, or a device's driver through dma_buf_export. */
export type Exporter =
  | { kind: 'heap'; heap: 'system' | 'cma' }
  | { kind: 'driver'; device: string; contiguous: boolean; deferred: boolean };

/** Every attach attempt, failed ones too, kept after detach and release for `advise`. */
export interface ImporterRecord {
  device: string;
  at: Loc;
}

export interface DmaBuf {
  /** The dma-buf handle's id. */
  id: number;
  size: number;
  exporter: Exporter;
  refs: number;
  createdAt: Loc;
  releasedAt?: Loc;
  /** The machine Buffer holding the pages, once they are allocated (a deferred export: at the first map). */
  buffer?: number;
  allocatedAt?: Loc;
  /** The devices the allocation was shaped for. */
  fittedTo: string[];
  /** Attachment ids in attach order, detached ones included. */
  attachments: number[];
  /** vmap/mmap pointer ids. */
  views: number[];
  /** Open begin_cpu_access / DMA_BUF_IOCTL_SYNC START brackets. */
  bracketDepth: number;
  bracketAt?: Loc;
  importers: ImporterRecord[];
}

export interface AttachmentMapping {
  /** The sg mapping's handle id (a machine Mapping). */
  sgt: number;
  dir: Direction;
  mappedAt: Loc;
}

export interface Attachment {
  id: number;
  buf: number;
  device: string;
  createdAt: Loc;
  detachedAt?: Loc;
  /** Live mappings of this attachment. */
  mappings: AttachmentMapping[];
}

/** A CPU pointer into a dma-buf: the kernel's vmap or a userspace mmap. */
export interface CpuView {
  id: number;
  buf: number;
  kind: 'vmap' | 'mmap';
  createdAt: Loc;
  unmappedAt?: Loc;
}

export interface DmaBufState {
  bufs: Map<number, DmaBuf>;
  attachments: Map<number, Attachment>;
  views: Map<number, CpuView>;
}

export function createDmaBufState(): DmaBufState {
  return { bufs: new Map(), attachments: new Map(), views: new Map() };
}

/** How a buffer is named in messages: "dma-buf frame (system heap, line 9)", or "#3" when no binding names it. */
export function bufName(s: { names: ReadonlyMap<number, string> }, b: DmaBuf): string {
  const from = b.exporter.kind === 'heap' ? `${b.exporter.heap} heap` : `exported by ${b.exporter.device}`;
  return `dma-buf ${s.names.get(b.id) ?? `#${b.id}`} (${from}, line ${b.createdAt.line})`;
}

export function exporterCall(b: DmaBuf): string {
  return b.exporter.kind === 'heap' ? `dma_heap_alloc(${b.exporter.heap}, ...)` : `dma_buf_export(${b.exporter.device}, ...)`;
}

/** The exporter's callbacks are named after the kernel's heaps, or after the exporting driver. */
export function exporterFn(b: DmaBuf, op: string): string {
  return b.exporter.kind === 'heap' ? `${b.exporter.heap}_heap_${op}` : `${b.exporter.device}_${op}`;
}
