// The hand-over: the module's state as numbers, for the host to rebuild it in `TraceChecker`.
import { RELEASES } from '../../commonPathLayout';
import { iommu, iommuMapsCount, iommuPeak, iommuUnmapsCount, nextId } from './checks';
import { devices } from './device';
import { Table } from './table';

const GENERATION: i32 = RELEASES >> 1;

export function deviceCount(): i32 {
  return devices.length;
}

/** A running figure of device `index`: maps, unmaps, syncs, bytes, peak live, live, then the longest-lived mapping (has one, line, dma, size, seconds). */
export function figure(index: i32, what: i32): f64 {
  const d = unchecked(devices[index]);
  switch (what) {
    case 0: return d.maps;
    case 1: return d.unmaps;
    case 2: return d.syncs;
    case 3: return d.bytes;
    case 4: return d.peakLive;
    case 5: return d.live.count;
    case 6: return d.hasLongest ? 1 : 0;
    case 7: return d.longestLine;
    case 8: return d.longestDma;
    case 9: return d.longestSize;
    case 10: return d.longestSeconds;
  }
  return 0;
}

export function iommuFigure(what: i32): f64 {
  return what == 0 ? iommuMapsCount : what == 1 ? iommuUnmapsCount : iommuPeak;
}

export function lastId(): f64 {
  return nextId;
}

/** Writes device `index`'s live mappings (dma, then the M_ fields) somewhere; returns where (`dumped` counts them). */
export function dumpLive(index: i32): usize {
  return dump(unchecked(devices[index]).live);
}

/** Writes the IOMMU mappings (iova, then the I_ fields); returns where. */
export function dumpIommu(): usize {
  return dump(iommu);
}

let dumpedCount = 0;

export function dumped(): i32 {
  return dumpedCount;
}

function dump(t: Table): usize {
  const width = t.width + 1;
  const out = heap.alloc(max<usize>(8, <usize>t.count * width << 3));
  let n = 0;
  for (let s = 0; s < t.room; s++) {
    if (!t.isUsed(s)) continue;
    const at = out + (<usize>n * width << 3);
    store<u64>(at, t.key(s));
    for (let f = 0; f < t.width; f++) store<f64>(at + (<usize>(f + 1) << 3), t.get(s, f));
    n++;
  }
  dumpedCount = n;
  return out;
}

/**
 * Writes the releases device `index` still remembers (address, line, epoch), oldest first, as `ReleaseLog` holds
 * them: the young generation and, once one has filled, the old; replayed into a new log in this order, they leave it
 * as it would be. Returns where (`dumped` counts them).
 */
export function dumpReleases(index: i32): usize {
  const d = unchecked(devices[index]);
  const n = d.released;
  const young = n == 0 ? 0 : (n - 1) % GENERATION + 1;
  const first = n - young - (n > <i64>GENERATION ? GENERATION : 0);
  const out = heap.alloc(max<usize>(8, <usize>(n - first) * 24));
  for (let k = first; k < n; k++) memory.copy(out + <usize>(k - first) * 24, d.ring + <usize>(k & <i64>(d.ringRoom - 1)) * 24, 24);
  dumpedCount = <i32>(n - first);
  return out;
}
