// The batch being filled, in the module's memory: records laid out as `EventBatch` lays them out (recordLayout.ts,
// which both compile), and the spans of the texts they point to (the lines left to the general parser, marks' texts,
// allocations' `virt_addr`), which JavaScript turns into strings.
import { R_CODE, R_LINE, R_OFFSET, R_OTHER, SLOW, STRIDE } from '../../recordLayout';

let records: usize = 0;
let textSpans: usize = 0;
/** Records there is room for, and records the batch being filled may hold (its own capacity: a later one may be smaller). */
let room: i32 = 0;
let capacity: i32 = 0;
let count: i32 = 0;
let textCount: i32 = 0;

/** Starts a batch of up to `size` records; returns where its records lie. */
export function beginBatch(size: i32): usize {
  if (size > room) {
    if (records != 0) heap.free(records);
    if (textSpans != 0) heap.free(textSpans);
    records = heap.alloc(<usize>size * STRIDE * 8);
    // A record points to one text at most.
    textSpans = heap.alloc(<usize>size * 8);
    room = size;
  }
  capacity = size;
  count = 0;
  textCount = 0;
  return records;
}

export function recordCount(): i32 {
  return count;
}

export function textsCount(): i32 {
  return textCount;
}

/** Where the spans (start and end addresses, u32 pairs) of the batch's texts lie. */
export function textSpansAt(): usize {
  return textSpans;
}

export function batchFull(): bool {
  return count == capacity;
}

/** Where the next record goes; `commit` keeps it. */
export function nextRecord(): usize {
  return records + <usize>count * STRIDE * 8;
}

export function commit(): void {
  count++;
}

/** Adds the text b[from, to) to the batch's; returns its index there. */
export function keepText(from: usize, to: usize): f64 {
  const s = textSpans + <usize>textCount * 8;
  store<u32>(s, <u32>from);
  store<u32>(s, <u32>to, 4);
  textCount++;
  return <f64>(textCount - 1);
}

/** Adds the line b[start, end) for the general parser. */
export function slowLine(start: usize, end: usize, line: f64, offset: f64): void {
  const r = nextRecord();
  store<f64>(r, SLOW, R_CODE * 8);
  store<f64>(r, line, R_LINE * 8);
  store<f64>(r, offset, R_OFFSET * 8);
  store<f64>(r, keepText(start, end), R_OTHER * 8);
  count++;
}
