// The outline of a kernel trace: its `tracing_mark_write` markers, what a workload writes to `trace_marker` to name
// its steps (tracefs prints them as that event, `trace-cmd report` as a `print` event with the same text), each a
// place to jump to in a long capture.

export interface Marker {
  /** 0-based line, and the columns of the marker's text on it (end exclusive). */
  line: number;
  start: number;
  end: number;
  text: string;
}

/** Markers listed at most: a capture that logs one per request would otherwise fill the outline. */
export const MARKERS_LISTED = 2000;

const MARK = /:\s+tracing_mark_write:\s*(\S.*?)\s*$/;

/** The markers of a document of `lineCount` lines, in order, at most MARKERS_LISTED. */
export function markersOf(lineCount: number, lineAt: (line: number) => string): Marker[] {
  const out: Marker[] = [];
  for (let i = 0; i < lineCount && out.length < MARKERS_LISTED; i++) {
    const text = lineAt(i);
    // Most lines are other events: a plain search before the expression.
    if (!text.includes('tracing_mark_write') || text.trimStart().startsWith('#')) continue;
    const m = MARK.exec(text);
    if (!m) continue;
    // The text runs to the end of the line (but blanks): its last occurrence is it.
    const start = text.lastIndexOf(m[1]);
    out.push({ line: i, start, end: start + m[1].length, text: m[1] });
  }
  return out;
}
