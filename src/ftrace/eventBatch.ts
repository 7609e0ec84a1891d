// A batch of decoded lines as numbers: the fast path writes the common DMA events here straight from the file's
// bytes (no strings, no objects per line; a mark or an allocation with its one text), and any other line as its text
// for the general parser. The records' layout is recordLayout.ts's.
import { DIRECTIONS, SINGLE_MAP_NAMES, SINGLE_UNMAP_NAMES } from './events';
import { STRIDE } from './recordLayout';

/** The events the fast path decodes, by code: the names as the trace prints them. */
export const HOT_NAMES = [
  ...SINGLE_MAP_NAMES, ...SINGLE_UNMAP_NAMES,
  'dma_sync_single_for_cpu', 'dma_sync_single_for_device',
  'map', 'unmap',
  'tracing_mark_write', 'dma_alloc', 'dma_free',
] as const;

/** `dir=` values as the fast path reads them; index = `dir` for a record (the `DMA_` spelling maps to the same). */
export const DIRECTION_NAMES = DIRECTIONS;

export class EventBatch {
  /** Records in use. */
  count = 0;
  /** The records, in memory of the batch's own or, for batches filled on another thread, in shared memory. */
  readonly records: Float64Array<ArrayBufferLike>;
  /** The texts records point to (`R_OTHER`): a `SLOW` record's line, a mark's text, an allocation's `virt_addr`. */
  texts: string[] = [];
  /** Device names and attrs as the records index them: the filler's table, shared by all its batches. */
  strings: string[] = [];
  /**
   * Lines before those the records number: a record's line in the file is its `R_LINE` plus this. (Batches read
   * in chunks on several threads number each chunk's lines from 1; adding the lines before it to every record was
   * a pass over all of them on the checking thread.)
   */
  lineBase = 0;

  constructor(readonly capacity = 4096, memory: ArrayBufferLike = new ArrayBuffer(capacity * STRIDE * 8)) {
    this.records = new Float64Array(memory, 0, capacity * STRIDE);
  }

  get full(): boolean {
    return this.count === this.capacity;
  }

  clear(): void {
    this.count = 0;
    this.texts.length = 0;
    this.lineBase = 0;
  }
}
