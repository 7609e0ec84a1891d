// The event a line was read to, field by field, whichever reader read it; `commitEvent` writes it as the batch's
// next record, with its device name and attrs interned, and its text (if it has one) kept in the batch's texts.
import { FIRST_SYNC, IOMMU_MAP, MARK, R_ADDR, R_ATTRS_DIR, R_CODE, R_CPU, R_DEVICE, R_LINE, R_OFFSET, R_OTHER, R_SIZE, R_TIME } from '../../recordLayout';
import { commit, keepText, nextRecord } from './batch';
import { LAST_ATTRS, LAST_DEVICE, intern } from './interner';

/** The device name's bytes (DMA events). */
export let deviceFrom: usize = 0;
export let deviceTo: usize = 0;
/** The device's id: -1 until `commitEvent` interns its bytes, unless known before (`knownDevice`). */
export let deviceId: i32 = -1;
/** The direction's number (DMA events). */
export let direction: i32 = 0;
/** The dma address, or the IOVA. */
export let address: f64 = 0;
export let size: f64 = 0;
/** The phys address (maps), the paddr (IOMMU maps), the unmapped size (IOMMU unmaps). */
export let other: f64 = 0;
/** The attrs value's bytes (maps and unmaps); from 0: no `attrs=`. */
export let attrsFrom: usize = 0;
export let attrsTo: usize = 0;
/** The text's bytes: a mark's text, an allocation's or free's `virt_addr`. */
export let textFrom: usize = 0;
export let textTo: usize = 0;

/** A dma event's fields but its device (`setDevice` or `knownDevice`). */
export function setDmaEvent(dir: i32, dma: f64, bytes: f64, phys: f64, attrsAt: usize, attrsEnd: usize): void {
  direction = dir;
  address = dma;
  size = bytes;
  other = phys;
  attrsFrom = attrsAt;
  attrsTo = attrsEnd;
}

/** The dma event's device is named b[from, to). */
export function setDevice(from: usize, to: usize): void {
  deviceFrom = from;
  deviceTo = to;
  deviceId = -1;
}

/** The dma event's device is the one of id `id`, known from an earlier line: its bytes need not be interned. */
export function knownDevice(id: i32): void {
  deviceId = id;
}

export function setIommuEvent(iova: f64, bytes: f64, otherValue: f64): void {
  address = iova;
  size = bytes;
  other = otherValue;
}

export function setMarkEvent(from: usize, to: usize): void {
  textFrom = from;
  textTo = to;
  address = 0;
  size = 0;
}

/** An allocation or free: a dma event (its direction is not kept) with its `virt_addr`. */
export function setAllocEvent(devFrom: usize, devTo: usize, dma: f64, bytes: f64, virtFrom: usize, virtTo: usize): void {
  setDmaEvent(0, dma, bytes, 0, 0, 0);
  setDevice(devFrom, devTo);
  textFrom = virtFrom;
  textTo = virtTo;
}

/** The device's id: interned now, unless known already. */
function deviceIdNow(): i32 {
  if (deviceId < 0) deviceId = intern(deviceFrom, deviceTo, LAST_DEVICE);
  return deviceId;
}

/** Writes the event of `code` as the batch's next record. */
export function commitEvent(code: i32, line: f64, offset: f64, timestamp: f64, cpu: f64): void {
  const r = nextRecord();
  store<f64>(r, address, R_ADDR * 8);
  if (code < IOMMU_MAP) {
    store<f64>(r, other, R_OTHER * 8);
    store<f64>(r, <f64>deviceIdNow(), R_DEVICE * 8);
    // Syncs carry no attrs; a map or unmap without `attrs=` has none.
    const attrs = code >= FIRST_SYNC || attrsFrom == 0 ? intern(0, 0, LAST_ATTRS) : intern(attrsFrom, attrsTo, LAST_ATTRS);
    store<f64>(r, <f64>attrs * 4 + <f64>direction, R_ATTRS_DIR * 8);
  } else if (code < MARK) {
    store<f64>(r, other, R_OTHER * 8);
  } else {
    store<f64>(r, keepText(textFrom, textTo), R_OTHER * 8);
    if (code != MARK) store<f64>(r, <f64>deviceIdNow(), R_DEVICE * 8);
  }
  store<f64>(r, <f64>code, R_CODE * 8);
  store<f64>(r, line, R_LINE * 8);
  store<f64>(r, offset, R_OFFSET * 8);
  store<f64>(r, timestamp, R_TIME * 8);
  store<f64>(r, cpu, R_CPU * 8);
  store<f64>(r, size, R_SIZE * 8);
  commit();
}
