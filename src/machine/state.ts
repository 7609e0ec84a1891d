// The machine's whole state as plain data (no methods, no closures), so that a snapshot for the debugger is a
// structured clone whose cost follows the state's size, never the bytes it stands for.

import type { Direction } from '../language/ast';
import type { HandleType } from '../language/signatures';
import type { CacheState } from './cache';
import type { DeviceConfig } from './device';
import type { DmaBufState } from './dmabufState';
import type { MachineEvent } from './events';
import type { LostTotal } from './newest';
import type { Hazard, Loc } from './hazards';
import type { IommuState } from './iommu';
import type { Layout } from './layout';
import type { RunStore } from './memory';
import type { OwnerRun } from './ownership';
import type { PageAllocator, PhysRange } from './pageAllocator';
import type { Platform } from './platform';
import type { SgTable } from './sgTable';
import type { Span } from './spans';
import type { SwiotlbState } from './swiotlb';

/** Who made a write (the CPU or a device, or the zero fill), and at which statement. */
export interface WriteOrigin {
  who: string;
  loc?: Loc;
}

export type BufferKind = 'kmalloc' | 'vmalloc' | 'phys' | 'coherent' | 'dmabuf';

/** Memory a CPU pointer, a coherent handle or a dma-buf names; ownership is tracked per byte range of it. */
export interface Buffer {
  id: number;
  kind: BufferKind;
  size: number;
  /** Physical pieces in buffer order; the first covers offset 0. */
  segs: PhysRange[];
  /** CPU accesses go through the cache (false: a coherent buffer of a noncoherent device). */
  cacheable: boolean;
  /** Who owns each run of its bytes. Shared with snapshots: changed only through `replaced` (copyOnWrite.ts). */
  owners: OwnerRun[];
  /** Ids of the live streaming mappings of this buffer. */
  mapped: number[];
  /** The newest mapping ever made of it (live or not), for messages. */
  lastMapping?: number;
  createdAt: Loc;
  live: boolean;
  /** Its allocation failed: the call returned NULL, there are no pages, and it was never live. */
  failed?: true;
  releasedAt?: Loc;
  /** The device a coherent buffer was allocated for. */
  device?: string;
  name?: string;
}

/** One piece of a streaming mapping: buffer bytes [bufOff, +len) that the device reaches at `target`. */
export interface MapSeg {
  bufOff: number;
  len: number;
  /** Where the bytes live (the original). */
  phys: number;
  /** Where the device accesses them: the original, or a swiotlb slot. */
  target: number;
  bounced: boolean;
}

export interface Mapping {
  id: number;
  device: string;
  kind: 'single' | 'sg';
  buffer: number;
  /** Offset of the mapping in the buffer (dma_map_single's `offset`); 0 for sg. */
  off: number;
  /** Size as the caller gave it (single) or the buffer's size (sg). */
  size: number;
  dir: Direction;
  segs: MapSeg[];
  sg?: SgTable;
  dmaAddress: number;
  /** IOVA ranges held for this mapping, released at unmap. */
  iova: PhysRange[];
  /** swiotlb slot ranges held, released at unmap. */
  slots: PhysRange[];
  /**
   * The buffer bytes this mapping owns (handed to the device and not synced back); empty once unmapped. Shared with
   * snapshots: changed only through `replaced` (copyOnWrite.ts).
   */
  owned: Span[];
  /** The map failed (DMA_MAPPING_ERROR / 0 entries): the handle is unusable. */
  failed: boolean;
  /** Mapped for a dma-buf attachment (dma_buf_map_attachment, by dma_map_sgtable): a failure returns an ERR_PTR. */
  attachment?: true;
  live: boolean;
  createdAt: Loc;
  releasedAt?: Loc;
  name?: string;
}

/** What a handle id names. Other kinds (dma-buf objects, attachments) are kept by their own modules under `other`. */
export type HandleTarget =
  | { type: 'cpu_ptr'; buffer: number; /** a vmap/vmalloc-area pointer (dma_map_single rejects it) */ vmalloc: boolean }
  | { type: 'coherent'; buffer: number }
  | { type: 'dma_handle' | 'sg'; mapping: number }
  | { type: 'dmabuf' | 'attachment'; other: number };

export interface Handle {
  readonly type: HandleType;
  readonly id: number;
  /** Returned by a call that failed here (an ERR_PTR in the kernel): it names nothing. */
  readonly failedAt?: Loc;
}

export interface MachineState {
  platform: Platform;
  layout: Layout;
  devices: Map<string, DeviceConfig>;
  mem: RunStore;
  /** For every logical byte, the newest write in program order (value and sequence number). */
  newest: RunStore;
  cache: CacheState;
  alloc: PageAllocator;
  swiotlb: SwiotlbState;
  iommu: Map<string, IommuState>;
  buffers: Map<number, Buffer>;
  mappings: Map<number, Mapping>;
  handles: Map<number, HandleTarget>;
  /** Binding names the runtime gave handles, for messages. */
  names: Map<number, string>;
  /** dma-buf objects, attachments and CPU views (dmabuf*.ts). */
  dmabuf: DmaBufState;
  nextId: number;
  seq: number;
  writes: Map<number, WriteOrigin>;
  /** The statement now running. */
  loc: Loc;
  events: MachineEvent[];
  hazards: Hazard[];
  /** The statement's lost writes so far, by write and cause: a later loss of one adds to its hazard. */
  lostWrites: Map<string, LostTotal>;
  failed: boolean;
  /** Per-line cache events left for this operation before they are summarised. */
  lineEventBudget: number;
  /** Whether events are built at all: the debugger and `run` read them, the headless check does not. */
  recording: boolean;
  /** When the tables are next pruned, and how many objects the last prune of them kept (what is held for good). */
  pruneAt: { writes: number; objects: number; kept: number };
}

export const LINE_EVENT_BUDGET = 16;
