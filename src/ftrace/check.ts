// Reads a whole capture through the checker and gathers what `check-trace` reports: event counts, per-device
// figures and findings. Memory stays bounded by the live state, not by the length of the file.
import { TraceChecker, type CheckOptions } from './checker';
import type { DeviceState, LongestLived } from './deviceState';
import { isBug, type TraceFinding } from './findings';
import type { TraceCursor } from './reader';

export interface DeviceSummary {
  device: string;
  maps: number;
  unmaps: number;
  syncs: number;
  bytes: number;
  peakLive: number;
  liveAtEnd: number;
  longestLived: LongestLived | null;
  mapErrors: number;
  bounces: number;
  /** dma-direct mappings whose memory was mapped again with no unmap between (unmap skipped by the driver). */
  droppedWithoutUnmap: number;
  coherent: { allocs: number; frees: number; liveAtEnd: number };
}

export interface TraceReport {
  file: string;
  ok: boolean;
  lines: number;
  malformed: number;
  /** The first malformed lines, with why (all are counted in `malformed`). */
  malformedLines: { line: number; reason: string }[];
  events: Record<string, number>;
  lostEvents: number;
  devices: DeviceSummary[];
  iommu: { maps: number; unmaps: number; peakLive: number; liveAtEnd: number };
  findings: TraceFinding[];
}

const MALFORMED_LISTED = 100;

function summarize(d: DeviceState): DeviceSummary {
  const s = d.stats;
  return {
    device: d.name, maps: s.maps, unmaps: s.unmaps, syncs: s.syncs, bytes: s.bytes, peakLive: s.peakLive, liveAtEnd: d.live,
    longestLived: s.longest ?? null, mapErrors: s.mapErrors, bounces: s.bounces, droppedWithoutUnmap: s.dropped,
    coherent: { allocs: s.allocs, frees: s.frees, liveAtEnd: d.coherent.size },
  };
}

/** Runs the checker over every record of `cursor` (which it closes). */
export function checkTrace(cursor: TraceCursor, file: string, options: CheckOptions = {}): TraceReport {
  const findings: TraceFinding[] = [];
  const checker = new TraceChecker((f) => findings.push(f), options);
  const events = new Map<string, number>();
  const malformedLines: { line: number; reason: string }[] = [];
  let malformed = 0;
  const bad = (line: number, reason: string): void => {
    malformed++;
    if (malformedLines.length < MALFORMED_LISTED) malformedLines.push({ line, reason });
  };
  try {
    for (let r = cursor.next(); r; r = cursor.next()) {
      if (r.kind === 'malformed') {
        bad(r.line, r.body);
        continue;
      }
      const e = checker.apply(r);
      if (r.kind !== 'event') continue;
      if (e?.op === 'bad') bad(r.line, `${r.event}: ${e.why}`);
      else events.set(r.event, (events.get(r.event) ?? 0) + 1);
    }
  } finally {
    cursor.close();
  }
  checker.finish();
  findings.sort((a, b) => a.line - b.line);
  return {
    file, ok: !findings.some(isBug), lines: cursor.nextLine - 1, malformed, malformedLines,
    events: Object.fromEntries([...events].sort((a, b) => b[1] - a[1])),
    lostEvents: checker.lostEvents,
    devices: [...checker.devices.values()].map(summarize),
    iommu: { maps: checker.iommu.maps, unmaps: checker.iommu.unmaps, peakLive: checker.iommu.peakLive, liveAtEnd: checker.iommu.byIova.size },
    findings,
  };
}
