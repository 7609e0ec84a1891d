// Finds the term under the mouse in a kernel trace's text, for a hover that explains it: the event's name, a
// direction (`dir=`), a DMA attribute (one flag of `attrs=`), a lost-events marker or `[TRUNCATED]`. Addresses are
// the debugger's to explain (traceAddressAt.ts).

export type TraceTerm =
  | { kind: 'event'; name: string }
  | { kind: 'direction'; dir: string }
  | { kind: 'attr'; name: string }
  | { kind: 'lost'; count: number }
  | { kind: 'truncated' };

export interface TermAt {
  term: TraceTerm;
  /** 0-based columns of it on its line, end exclusive. */
  start: number;
  end: number;
}

/** The line's `TIMESTAMP: EVENT:`, in tracefs' and `trace-cmd report`'s layouts alike. */
const EVENT = /\s\d+\.\d+:\s+(\w+):/;
const MARKERS = /\[LOST (\d+) EVENTS\]|\[TRUNCATED\]/g;

const within = (column: number, start: number, end: number): boolean => column >= start && column < end;

export function traceTermAt(line: string, column: number): TermAt | undefined {
  for (const m of line.matchAll(MARKERS)) {
    const start = m.index;
    if (!within(column, start, start + m[0].length)) continue;
    const term: TraceTerm = m[1] === undefined ? { kind: 'truncated' } : { kind: 'lost', count: Number(m[1]) };
    return { term, start, end: start + m[0].length };
  }
  const event = EVENT.exec(line);
  if (!event) return undefined;
  const nameStart = event.index + event[0].length - 1 - event[1].length;
  if (within(column, nameStart, nameStart + event[1].length)) {
    // `map` and `unmap` are the IOMMU's when their text says so; another group may name an event so too.
    if ((event[1] === 'map' || event[1] === 'unmap') && !/^\s*IOMMU:/.test(line.slice(event.index + event[0].length))) return undefined;
    return { term: { kind: 'event', name: event[1] }, start: nameStart, end: nameStart + event[1].length };
  }
  if (column < nameStart) return undefined;
  // The event's fields: the `key=value` word under the column.
  let start = column;
  while (start > 0 && !/\s/.test(line[start - 1])) start--;
  let end = column;
  while (end < line.length && !/\s/.test(line[end])) end++;
  const word = line.slice(start, end);
  const equals = word.indexOf('=');
  const valueStart = start + equals + 1;
  if (equals < 0 || column < valueStart || valueStart >= end) return undefined;
  const key = word.slice(0, equals);
  if (key === 'dir') return { term: { kind: 'direction', dir: line.slice(valueStart, end).replace(/^DMA_/, '') }, start: valueStart, end };
  if (key !== 'attrs') return undefined;
  // `attrs=A|B`: the flag under the column.
  let flagStart = column;
  while (flagStart > valueStart && line[flagStart - 1] !== '|') flagStart--;
  let flagEnd = column;
  while (flagEnd < end && line[flagEnd] !== '|') flagEnd++;
  return flagEnd > flagStart ? { term: { kind: 'attr', name: line.slice(flagStart, flagEnd).replace(/^DMA_ATTR_/, '') }, start: flagStart, end: flagEnd } : undefined;
}
