// What the trace checker reports: the hazard kinds of spec §8 for what the trace decides, and kind `window`
// for what lies outside the captured window (made before it began, still live after it ended, lost events).
import type { HazardKind } from '../machine/hazards';

export type FindingKind = HazardKind | 'window';

export interface TraceFinding {
  kind: FindingKind;
  /** The check that fired: `double-unmap`, `size-mismatch`, `direction-mismatch`, `live-at-end`, ... */
  detail: string;
  /** 1-based line of the event the finding is about. */
  line: number;
  /** Byte offset of that line, for a debugger to seek to. */
  offset: number;
  timestamp: number;
  device: string;
  message: string;
  /** Earlier events that set it up (the map of a mismatched unmap, the first of two unmaps). */
  related: { line: number; message: string }[];
}

/** Findings that make `check-trace` fail: everything but window information. */
export function isBug(f: TraceFinding): boolean {
  return f.kind !== 'window';
}
