// Reads a fast-path record of an `EventBatch` back as its event: handed to a sink as numbers and strings (the checker
// takes them so, with no object per event), or as the `DmaEvent` that `decodeEvent` would make of its line. The
// events that carry a text (marks, allocations, frees: from `MARK` on) come back only as their `DmaEvent`.
import { allocation, type DmaEvent, type TraceDirection } from './events';
import { DIRECTION_NAMES, type EventBatch } from './eventBatch';
import { ALLOC, FIRST_SYNC, FIRST_UNMAP, IOMMU_MAP, IOMMU_UNMAP, MARK, R_ADDR, R_ATTRS_DIR, R_CODE, R_DEVICE, R_OTHER, R_SIZE } from './recordLayout';

/** Whoever takes the fast path's events, one method per kind. */
export interface HotEventSink {
  map(device: string, dir: TraceDirection, dma: number, size: number, phys: number, attrs: string): void;
  unmap(device: string, dir: TraceDirection, dma: number, size: number, attrs: string): void;
  sync(device: string, dir: TraceDirection, forCpu: boolean, dma: number, size: number): void;
  iommuMap(iova: number, paddr: number, size: number): void;
  iommuUnmap(iova: number, size: number, unmapped: number): void;
}

/** Whether the record at `at` is handed on as numbers (`replayRecord`): a fast-path event below `MARK`. */
export function isNumeric(batch: EventBatch, at: number): boolean {
  const code = batch.records[at + R_CODE];
  return code >= 0 && code < MARK;
}

/** Hands the event of the record at `at` (an index into `batch.records`, `isNumeric`) to `sink`. */
export function replayRecord(batch: EventBatch, at: number, sink: HotEventSink): void {
  const r = batch.records;
  const code = r[at + R_CODE];
  if (code === IOMMU_MAP) return sink.iommuMap(r[at + R_ADDR], r[at + R_OTHER], r[at + R_SIZE]);
  if (code === IOMMU_UNMAP) return sink.iommuUnmap(r[at + R_ADDR], r[at + R_SIZE], r[at + R_OTHER]);
  const device = batch.strings[r[at + R_DEVICE]];
  const attrsDir = r[at + R_ATTRS_DIR];
  const dir = DIRECTION_NAMES[attrsDir & 3];
  if (code >= FIRST_SYNC) return sink.sync(device, dir, code === FIRST_SYNC, r[at + R_ADDR], r[at + R_SIZE]);
  const attrs = batch.strings[attrsDir >>> 2];
  if (code >= FIRST_UNMAP) return sink.unmap(device, dir, r[at + R_ADDR], r[at + R_SIZE], attrs);
  sink.map(device, dir, r[at + R_ADDR], r[at + R_SIZE], r[at + R_OTHER], attrs);
}

/**
 * Hands a decoded event of a kind the fast path reads to `sink`, as `replayRecord` hands its record: the sinks
 * have one way in for those kinds, whichever reader read the line. False (nothing handed) for any other kind.
 */
export function replayEvent(e: DmaEvent, sink: HotEventSink): boolean {
  switch (e.op) {
    case 'map': sink.map(e.device, e.dir, e.dma, e.size, e.phys, e.attrs); return true;
    case 'unmap': sink.unmap(e.device, e.dir, e.dma, e.size, e.attrs); return true;
    case 'sync': sink.sync(e.device, e.dir, e.forCpu, e.dma, e.size); return true;
    case 'iommu_map': sink.iommuMap(e.iova, e.paddr, e.size); return true;
    case 'iommu_unmap': sink.iommuUnmap(e.iova, e.size, e.unmapped); return true;
  }
  return false;
}

/** Makes the `DmaEvent` of a record, for tests and for anyone who wants the event as `decodeEvent` gives it. */
export class HotEvents implements HotEventSink {
  /** The event last handed to this sink. */
  event: DmaEvent = { op: 'other' };

  /** The event of the record at `at` (any but a `SLOW` one). */
  at(batch: EventBatch, at: number): DmaEvent {
    if (isNumeric(batch, at)) replayRecord(batch, at, this);
    else this.event = textEvent(batch, at);
    return this.event;
  }

  map(device: string, dir: TraceDirection, dma: number, size: number, phys: number, attrs: string): void {
    this.event = { op: 'map', device, dir, dma, size, phys, attrs };
  }

  unmap(device: string, dir: TraceDirection, dma: number, size: number, attrs: string): void {
    this.event = { op: 'unmap', device, dir, dma, size, attrs };
  }

  sync(device: string, dir: TraceDirection, forCpu: boolean, dma: number, size: number): void {
    this.event = { op: 'sync', forCpu, device, dir, dma, size };
  }

  iommuMap(iova: number, paddr: number, size: number): void {
    this.event = { op: 'iommu_map', iova, paddr, size };
  }

  iommuUnmap(iova: number, size: number, unmapped: number): void {
    this.event = { op: 'iommu_unmap', iova, size, unmapped };
  }
}

/** The event of a record from `MARK` on: a mark, or a coherent allocation or free, with its text. */
function textEvent(batch: EventBatch, at: number): DmaEvent {
  const r = batch.records;
  const code = r[at + R_CODE];
  const text = batch.texts[r[at + R_OTHER]];
  if (code === MARK) return { op: 'mark', text };
  return allocation(code === ALLOC, 'coherent', batch.strings[r[at + R_DEVICE]], r[at + R_ADDR], r[at + R_SIZE], text);
}
