// The links between a map (or allocation) and the events that sync and release it, for go to definition and find
// references in a capture. The capture is read through the checker, and an event's address is looked up in the
// state just before it, as the checks look it up.
import { TraceChecker } from './checker';
import { EventStream } from './eventStream';
import type { DmaEvent } from './events';
import type { TraceCursor } from './reader';

/** The line that mapped or allocated what `e` syncs or releases, as `checker` holds it before `e`; undefined for other events. */
function originOf(checker: TraceChecker, e: DmaEvent): number | undefined {
  if (e.op === 'iommu_unmap') return checker.iommu.byIova.get(e.iova)?.origin.line;
  if (e.op === 'free') return checker.deviceNamed(e.device)?.coherent.get(e.dma)?.origin.line;
  return checker.mappingOf(e)?.origin.line;
}

/** Events that end what they release: after one, its map has no more references. */
const ENDS = new Set<DmaEvent['op']>(['unmap', 'unmap_sg', 'free', 'iommu_unmap']);

/**
 * Reads `cursor` (which it closes) as the debugger steps a capture, through the fast path's batches, handing `visit`
 * each event's line and the stream standing at it, with the checker's state before it; stops when `visit` says so.
 */
function walk(cursor: TraceCursor, visit: (line: number, at: EventStream, checker: TraceChecker) => boolean): void {
  const checker = new TraceChecker(() => undefined);
  const stream = new EventStream(cursor, (r) => checker.apply(r));
  try {
    while (stream.advance() && visit(stream.line, stream, checker)) stream.applyTo(checker);
  } finally {
    stream.close();
  }
}

/**
 * The line where what the event at `line` unmaps, syncs or frees was mapped or allocated; undefined for any other
 * event, and when the trace does not show that map (made before it began).
 */
export function mappedAt(cursor: TraceCursor, line: number): number | undefined {
  let found: number | undefined;
  walk(cursor, (at, stream, checker) => {
    if (at === line) found = originOf(checker, stream.event);
    return at < line;
  });
  return found;
}

/** The lines after `line` whose events sync, unmap or free what the event at `line` mapped or allocated, up to its release. */
export function releasesOf(cursor: TraceCursor, line: number): number[] {
  const found: number[] = [];
  walk(cursor, (at, stream, checker) => {
    if (at <= line) return true;
    const e = stream.event;
    if (originOf(checker, e) !== line) return true;
    found.push(at);
    return !ENDS.has(e.op);
  });
  return found;
}
