// Finds the term under the mouse in a kernel trace's text, for a hover that explains it: the name of an event the
// checker reads, a direction (`dir=`), a DMA attribute (one flag of `attrs=`), a lost-events marker or `[TRUNCATED]`.
// The line is read by the reader's own parser and decoder. Addresses are the debugger's to explain (traceAddressAt.ts).
import { decodeEvent } from '../ftrace/events';
import { parseLine } from '../ftrace/lineParser';

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

const MARKERS = /\[LOST (\d+) EVENTS\]|\[TRUNCATED\]/g;

const within = (column: number, start: number, end: number): boolean => column >= start && column < end;

export function traceTermAt(line: string, column: number): TermAt | undefined {
  for (const m of line.matchAll(MARKERS)) {
    const start = m.index;
    if (!within(column, start, start + m[0].length)) continue;
    const term: TraceTerm = m[1] === undefined ? { kind: 'truncated' } : { kind: 'lost', count: Number(m[1]) };
    return { term, start, end: start + m[0].length };
  }
  const r = parseLine(line, 0, line.length, 1, 0);
  // Other groups' events (another group's `map` too) are opaque steps to the checker: nothing to explain.
  if (r?.kind !== 'event' || decodeEvent(r).op === 'other') return undefined;
  // The name is the word before the event's text (`trace-cmd report`'s marker: the one after `print:`).
  const nameStart = line.lastIndexOf(`${r.event}:`, r.bodyStart);
  if (nameStart < 0) return undefined;
  const nameEnd = nameStart + r.event.length;
  if (within(column, nameStart, nameEnd)) return { term: { kind: 'event', name: r.event }, start: nameStart, end: nameEnd };
  if (column < r.bodyStart) return undefined;
  // The event's fields: the `key=value` word under the column.
  let start = column;
  while (start > 0 && !/\s/.test(line[start - 1])) start--;
  let end = column;
  while (end < line.length && !/\s/.test(line[end])) end++;
  const word = line.slice(start, end);
  const equals = word.indexOf('=');
  const valueStart = start + equals + 1;
  // A blank after a word is outside it, as after the event's name.
  if (equals < 0 || column < valueStart || valueStart >= end || column >= end) return undefined;
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
