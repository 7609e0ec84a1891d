// Reads a whole capture through the checker and gathers what `check-trace` reports: event counts, per-device
// figures and findings. Memory stays bounded by the live state, not by the length of the file.
import { TraceChecker, type CheckOptions } from './checker';
import type { DeviceState, LongestLived } from './deviceState';
import { batchesOf } from './batchSource';
import { HOT_NAMES } from './eventBatch';
import { MARK, R_CODE, R_CPU, R_LINE, R_OFFSET, R_OTHER, R_TIME, SLOW, STRIDE } from './recordLayout';
import { isBug, type TraceFinding } from './findings';
import { HotEvents, replayRecord } from './hotEvents';
import { CommonPath, Route, Stop } from './commonPath';
import { decodeEvent, type DmaEvent } from './events';
import { parseLine } from './lineParser';
import type { TraceCursor } from './reader';
import type { TraceRecord } from './record';

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

/** How `checkTrace` reads and checks: what it decides by itself unless told. */
export interface CheckTraceHow {
  /** Decode on reading threads, or not (by default, when that pays). */
  thread?: boolean;
  /**
   * Check the common events in WebAssembly until the first that could be reported (the default); false: every event
   * in `TraceChecker`, as a debugger checks them.
   */
  commonPath?: boolean;
  /** The bytes the common path may grow to (a test sets a small budget). */
  budget?: number;
}

/**
 * Runs the checker over every record of `cursor` (which it closes), decoding on another thread when that pays, and
 * checking the common events on the checker's common path until the first that could be reported (`how`).
 */
export function checkTrace(cursor: TraceCursor, file: string, options: CheckOptions = {}, how: CheckTraceHow = {}): TraceReport {
  const findings: TraceFinding[] = [];
  const checker = new TraceChecker((f) => findings.push(f), options);
  const events = new Map<string, number>();
  /**
   * Events the fast path hands on as numbers, counted by code and added to `events` (where each took its place) at
   * the end; those with a text are counted as they come.
   */
  const hotCounts = new Array<number>(MARK).fill(0);
  const firstOf = (code: number): void => {
    if (!events.has(HOT_NAMES[code])) events.set(HOT_NAMES[code], 0);
  };
  // A release log that keeps what it released is not the common path's.
  let common = how.commonPath !== false && !options.keepReleased ? new CommonPath(checker, how.budget) : undefined;
  const handOver = (): void => {
    if (!common) return;
    common.handOver();
    hotCounts.forEach((_, code) => (hotCounts[code] += common!.checked(code)));
    common = undefined;
  };
  const malformedLines: { line: number; reason: string }[] = [];
  let malformed = 0;
  const bad = (line: number, reason: string): void => {
    malformed++;
    if (malformedLines.length < MALFORMED_LISTED) malformedLines.push({ line, reason });
  };
  /** An event the common path does not take as numbers: decoded by the general parser, or one with a text. */
  const onEvent = (e: DmaEvent, name: string, line: number, offset: number, timestamp: number, cpu: number): void => {
    const route = common ? common.route(e, line, offset, timestamp, cpu) : Route.Host;
    if (route === Route.HandOver) handOver();
    if (route !== Route.Checked) checker.applyEvent(e, line, offset, timestamp, cpu);
    if (e.op === 'bad') bad(line, `${name}: ${e.why}`);
    else events.set(name, (events.get(name) ?? 0) + 1);
  };
  const onRecord = (r: TraceRecord): void => {
    if (r.kind === 'malformed') return bad(r.line, r.body);
    if (r.kind === 'lost') {
      checker.apply(r);
      common?.setEpoch(checker.epoch);
      return;
    }
    if (r.kind === 'event') onEvent(decodeEvent(r), r.event, r.line, r.offset, r.timestamp, r.cpu);
  };
  /** Makes the events of records with a text. */
  const decoded = new HotEvents();
  const source = batchesOf(cursor, how.thread);
  try {
    for (let batch = source.next(); batch; batch = source.next()) {
      const rec = batch.records;
      const base = batch.lineBase;
      common?.load(batch);
      for (let i = 0; i < batch.count; i++) {
        if (common) {
          i = common.run(i, firstOf);
          if (i === batch.count) break;
          if (common.reason === Stop.Unchecked) handOver();
        }
        const at = i * STRIDE;
        const code = rec[at + R_CODE];
        if (code === SLOW) {
          const text = batch.texts[rec[at + R_OTHER]];
          const r = parseLine(text, 0, text.length, base + rec[at + R_LINE], rec[at + R_OFFSET]);
          if (r) onRecord(r);
          continue;
        }
        if (code >= MARK) {
          onEvent(decoded.at(batch, at), HOT_NAMES[code], base + rec[at + R_LINE], rec[at + R_OFFSET], rec[at + R_TIME], rec[at + R_CPU]);
          continue;
        }
        if (hotCounts[code]++ === 0) firstOf(code);
        checker.moveTo(base + rec[at + R_LINE], rec[at + R_OFFSET], rec[at + R_TIME], rec[at + R_CPU]);
        replayRecord(batch, at, checker);
      }
    }
  } finally {
    source.close();
  }
  handOver();
  hotCounts.forEach((n, code) => n > 0 && events.set(HOT_NAMES[code], (events.get(HOT_NAMES[code]) ?? 0) + n));
  checker.finish();
  findings.sort((a, b) => a.line - b.line);
  return {
    file, ok: !findings.some(isBug), lines: source.nextLine - 1, malformed, malformedLines,
    events: Object.fromEntries([...events].sort((a, b) => b[1] - a[1])),
    lostEvents: checker.lostEvents,
    devices: [...checker.devices.values()].map(summarize),
    iommu: { maps: checker.iommu.maps, unmaps: checker.iommu.unmaps, peakLive: checker.iommu.peakLive, liveAtEnd: checker.iommu.byIova.size },
    findings,
  };
}
