// Reads a fast-path record of an `EventBatch` back as the `DmaEvent` that `decodeEvent` would make of its line,
// filling one reused object per kind: the checker reads an event's fields and keeps none of the objects.
import type { DmaEvent } from './events';
import {
  DIRECTION_NAMES, FIRST_SYNC, FIRST_UNMAP, IOMMU_MAP, IOMMU_UNMAP, R_ADDR, R_ATTRS_DIR, R_CODE, R_DEVICE, R_OTHER,
  R_SIZE, type EventBatch,
} from './eventBatch';

type Op<K extends DmaEvent['op']> = Extract<DmaEvent, { op: K }>;

export class HotEvents {
  private readonly map: Op<'map'> = { op: 'map', device: '', dir: 'TO_DEVICE', dma: 0, size: 0, phys: 0, attrs: '' };
  private readonly unmap: Op<'unmap'> = { op: 'unmap', device: '', dir: 'TO_DEVICE', dma: 0, size: 0, attrs: '' };
  private readonly sync: Op<'sync'> = { op: 'sync', forCpu: false, device: '', dir: 'TO_DEVICE', dma: 0, size: 0 };
  private readonly iommuMap: Op<'iommu_map'> = { op: 'iommu_map', iova: 0, paddr: 0, size: 0 };
  private readonly iommuUnmap: Op<'iommu_unmap'> = { op: 'iommu_unmap', iova: 0, size: 0, unmapped: 0 };

  /** The event of the record at `at` (an index into `batch.records`), valid until the next call. */
  at(batch: EventBatch, at: number): DmaEvent {
    const r = batch.records;
    const code = r[at + R_CODE];
    if (code === IOMMU_MAP) {
      const e = this.iommuMap;
      e.iova = r[at + R_ADDR];
      e.paddr = r[at + R_OTHER];
      e.size = r[at + R_SIZE];
      return e;
    }
    if (code === IOMMU_UNMAP) {
      const e = this.iommuUnmap;
      e.iova = r[at + R_ADDR];
      e.size = r[at + R_SIZE];
      e.unmapped = r[at + R_OTHER];
      return e;
    }
    const device = batch.strings[r[at + R_DEVICE]];
    const attrsDir = r[at + R_ATTRS_DIR];
    const dir = DIRECTION_NAMES[attrsDir & 3];
    if (code >= FIRST_SYNC) {
      const e = this.sync;
      e.forCpu = code === FIRST_SYNC;
      e.device = device;
      e.dir = dir;
      e.dma = r[at + R_ADDR];
      e.size = r[at + R_SIZE];
      return e;
    }
    const e = code >= FIRST_UNMAP ? this.unmap : this.map;
    e.device = device;
    e.dir = dir;
    e.dma = r[at + R_ADDR];
    e.size = r[at + R_SIZE];
    e.attrs = batch.strings[attrsDir >>> 2];
    if (e.op === 'map') e.phys = r[at + R_OTHER];
    return e;
  }
}
