// The checker's common path, compiled to WebAssembly (see ../../commonPath.ts for the JavaScript side): single maps,
// unmaps and syncs that meet a live mapping exactly as mapped, and IOMMU maps and unmaps, which are almost every
// event of a capture and none of whose checks find anything. It holds the state those events change (each device's
// live single mappings, the device-writable cache lines, its released addresses, the IOMMU mappings, the running
// figures) and decides nothing else: it stops at the first record it cannot take as it would pass a check with
// nothing to report, and `TraceChecker` takes over the whole state there and checks the rest.
// This file is the module's entry (its exports are the module's): the batch the host loads and the loop over its
// records. `checks.ts` holds the checks, `device.ts` the devices, `handOver.ts` what the host reads to take over.
import { EXACT, FIRST_SYNC, FIRST_UNMAP, IOMMU_MAP, IOMMU_UNMAP, MARK, R_ADDR, R_ATTRS_DIR, R_CODE, R_CPU, R_DEVICE, R_LINE, R_OFFSET, R_OTHER, R_SIZE, R_TIME, SLOW, STRIDE } from '../../recordLayout';
import { FOR_HOST, NEW_CODE, NEW_DEVICE, UNCHECKED } from '../../commonPathLayout';
import { bits, iommuMap, iommuUnmap, map, sync, unmap } from './checks';
import { Device, deviceOf, deviceOfRoom, devices } from './device';

/** The codes checked here: those below the events with a text. */
const CODES: i32 = MARK;

/** Memory the host writes into, grown (never shrunk) to what it asks for. */
class Room {
  at: usize = 0;
  bytes: usize = 0;

  /** Where `bytes` fit (what was written before is not kept). */
  need(bytes: usize): usize {
    if (bytes > this.bytes) {
      this.bytes = max(bytes, this.bytes * 2);
      this.at = heap.alloc(this.bytes);
    }
    return this.at;
  }
}
/** The loaded batch's records, and its string ids (its reader's) as the host's string ids. */
const records = new Room();
const ids = new Room();
let recordsAt: usize = 0;
let idsAt: usize = 0;
const codeCounts = new StaticArray<f64>(CODES);
const codeSeen = new StaticArray<bool>(CODES);
let stopReason = 0;
let lineBase: f64 = 0;

export { setBudget } from './budget';
export { setEpoch, setUp } from './checks';
export { nameDevice } from './device';
export { deviceCount, dumped, dumpIommu, dumpLive, dumpReleases, figure, iommuFigure, lastId } from './handOver';
export { FOR_HOST, NEW_CODE, NEW_DEVICE, UNCHECKED } from '../../commonPathLayout';

/** The loaded batch's `lineBase`: lines before those its records number. */
export function setLineBase(base: f64): void {
  lineBase = base;
}

export function reason(): i32 {
  return stopReason;
}

/** Room for `count` records and `ids` string ids; returns where the records go (the ids at `stringIdsAt`). */
export function reserve(count: i32, idCount: i32): usize {
  recordsAt = records.need(<usize>count * STRIDE << 3);
  idsAt = ids.need(<usize>idCount << 2);
  return recordsAt;
}

export function stringIdsAt(): usize {
  return idsAt;
}

export function markSeen(code: i32): void {
  unchecked(codeSeen[code] = true);
}

/** The events of code `code` checked here. */
export function checked(code: i32): f64 {
  return unchecked(codeCounts[code]);
}

/**
 * Checks records [from, count) of those at `reserve`'s place; returns the first one it stopped before (`reason`
 * says why), or `count`.
 */
export function run(from: i32, count: i32): i32 {
  const strings = idsAt;
  for (let i = from; i < count; i++) {
    const p = recordsAt + (<usize>i * STRIDE << 3);
    const code = <i32>load<f64>(p, R_CODE << 3);
    if (code == SLOW || code >= MARK) return stop(i, FOR_HOST);
    if (!unchecked(codeSeen[code])) return stop(i, NEW_CODE);
    let d: Device | null = null;
    let attrsDir = 0;
    if (code < IOMMU_MAP) {
      const id = load<i32>(strings + (<usize>(<i32>load<f64>(p, R_DEVICE << 3)) << 2));
      const ptr = id < deviceOfRoom ? load<u32>(deviceOf + (<usize>id << 2)) : 0;
      if (ptr == 0) return stop(i, NEW_DEVICE);
      d = changetype<Device>(ptr);
      attrsDir = <i32>load<f64>(p, R_ATTRS_DIR << 3);
    }
    const ok = check(code, p, lineBase, d, load<i32>(strings + (<usize>(attrsDir >>> 2) << 2)), attrsDir & 3);
    if (!ok) return stop(i, UNCHECKED);
    unchecked(codeCounts[code] += 1);
  }
  return count;
}

@inline function stop(i: i32, why: i32): i32 {
  stopReason = why;
  return i;
}

/** A record for `apply` to fill. */
const scratch = heap.alloc(STRIDE << 3);

/**
 * Applies one event of code `code` (a fast-path code) at its origin; false, with nothing changed, if it is not one
 * this module decides. `device` is a device index, `attrs` a string id, `dir` a direction's index.
 */
export function apply(code: i32, line: f64, offset: f64, time: f64, cpu: f64, a: f64, size: f64, other: f64, device: i32, attrs: i32, dir: i32): bool {
  store<f64>(scratch, line, R_LINE << 3);
  store<f64>(scratch, offset, R_OFFSET << 3);
  store<f64>(scratch, time, R_TIME << 3);
  store<f64>(scratch, cpu, R_CPU << 3);
  store<f64>(scratch, a, R_ADDR << 3);
  store<f64>(scratch, size, R_SIZE << 3);
  store<f64>(scratch, other, R_OTHER << 3);
  return check(code, scratch, 0, code < IOMMU_MAP ? unchecked(devices[device]) : null, attrs, dir);
}

/** Checks the event of code `code` whose record is at `p` (its line counted from `base`), of device `d`. */
@inline function check(code: i32, p: usize, base: f64, d: Device | null, attrs: i32, dir: i32): bool {
  const a = load<f64>(p, R_ADDR << 3), size = load<f64>(p, R_SIZE << 3);
  // DMA_MAPPING_ERROR (2^64), or no address a trace reads (NaN, negative, inexact): the checker's to judge.
  if (!(a >= 0 && a < EXACT)) return false;
  if (code == IOMMU_MAP) {
    return iommuMap(a, load<f64>(p, R_OTHER << 3), size, base + load<f64>(p, R_LINE << 3), load<f64>(p, R_OFFSET << 3), load<f64>(p, R_TIME << 3), load<f64>(p, R_CPU << 3));
  }
  if (code == IOMMU_UNMAP) {
    iommuUnmap(a, size);
    return true;
  }
  if (code >= FIRST_SYNC) return sync(d!, dir, a, size);
  if (code >= FIRST_UNMAP) return unmap(d!, dir, a, size, base + load<f64>(p, R_LINE << 3), load<f64>(p, R_TIME << 3));
  return map(d!, dir, a, size, load<f64>(p, R_OTHER << 3), attrs, base + load<f64>(p, R_LINE << 3), load<f64>(p, R_OFFSET << 3), load<f64>(p, R_TIME << 3), load<f64>(p, R_CPU << 3));
}

/** Whether device `device` has a live mapping at `dma` (a free of it is checked by the host, which takes over). */
export function holds(device: i32, dma: f64): bool {
  return device < devices.length && unchecked(devices[device]).live.find(bits(dma)) >= 0;
}
