// A batch of decoded lines as numbers: the fast path writes the common DMA events here straight from the file's
// bytes (no strings, no objects per line), and any other line as its text for the general parser.
import { DIRECTIONS, SINGLE_MAP_NAMES, SINGLE_UNMAP_NAMES } from './events';

/** Numbers per record. */
export const STRIDE = 10;
/** Offsets of a record's fields. */
export const R_CODE = 0;
export const R_LINE = 1;
export const R_OFFSET = 2;
export const R_TIME = 3;
export const R_CPU = 4;
/** dma address (iova for the IOMMU). */
export const R_ADDR = 5;
export const R_SIZE = 6;
/** phys address (paddr; unmapped size for an IOMMU unmap; the slow text's index for a `SLOW` record). */
export const R_OTHER = 7;
/** Index into `strings` of the device; then attrs and direction in one number: attrs index * 4 + the direction's index in `DIRECTION_NAMES`. */
export const R_DEVICE = 8;
export const R_ATTRS_DIR = 9;

/** What a record holds: `SLOW` is a line left to the general parser; the others are the event names of `HOT_NAMES`. */
export const SLOW = -1;

/** The events the fast path decodes, by code: the names as the trace prints them. */
export const HOT_NAMES = [
  ...SINGLE_MAP_NAMES, ...SINGLE_UNMAP_NAMES,
  'dma_sync_single_for_cpu', 'dma_sync_single_for_device',
  'map', 'unmap',
] as const;
export const FIRST_UNMAP = 3;
export const FIRST_SYNC = 6;
export const IOMMU_MAP = 8;
export const IOMMU_UNMAP = 9;

/** `dir=` values as the fast path reads them; index = `dir` for a record (the `DMA_` spelling maps to the same). */
export const DIRECTION_NAMES = DIRECTIONS;

export class EventBatch {
  /** Records in use. */
  count = 0;
  /** The records, in memory of the batch's own or, for batches filled on another thread, in shared memory. */
  readonly records: Float64Array<ArrayBufferLike>;
  /** The texts of `SLOW` records. */
  slow: string[] = [];
  /** Device names and attrs as the records index them: the filler's table, shared by all its batches. */
  strings: string[] = [];

  constructor(readonly capacity = 4096, memory: ArrayBufferLike = new ArrayBuffer(capacity * STRIDE * 8)) {
    this.records = new Float64Array(memory, 0, capacity * STRIDE);
  }

  get full(): boolean {
    return this.count === this.capacity;
  }

  clear(): void {
    this.count = 0;
    this.slow.length = 0;
  }
}
