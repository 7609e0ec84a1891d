// The batch being filled, in the module's memory: records laid out as `EventBatch` lays them out (recordLayout.ts,
// which both compile), and the spans of the lines left to the general parser, which JavaScript turns into their texts.
import { R_CODE, R_LINE, R_OFFSET, R_OTHER, SLOW, STRIDE } from '../../recordLayout';

let records: usize = 0;
let slowSpans: usize = 0;
/** Records there is room for, and records the batch being filled may hold (its own capacity: a later one may be smaller). */
let room: i32 = 0;
let capacity: i32 = 0;
let count: i32 = 0;
let slowCount: i32 = 0;

/** Starts a batch of up to `size` records; returns where its records lie. */
export function beginBatch(size: i32): usize {
  if (size > room) {
    if (records != 0) heap.free(records);
    if (slowSpans != 0) heap.free(slowSpans);
    records = heap.alloc(<usize>size * STRIDE * 8);
    slowSpans = heap.alloc(<usize>size * 8);
    room = size;
  }
  capacity = size;
  count = 0;
  slowCount = 0;
  return records;
}

export function recordCount(): i32 {
  return count;
}

export function slowLineCount(): i32 {
  return slowCount;
}

/** Where the spans (window start and end offsets, i32 pairs) of the batch's slow lines lie. */
export function slowSpansAt(): usize {
  return slowSpans;
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

/** Adds the line at window offsets [start, end) for the general parser. */
export function slowLine(start: i32, end: i32, line: f64, offset: f64): void {
  const r = nextRecord();
  store<f64>(r, SLOW, R_CODE * 8);
  store<f64>(r, line, R_LINE * 8);
  store<f64>(r, offset, R_OFFSET * 8);
  store<f64>(r, <f64>slowCount, R_OTHER * 8);
  const s = slowSpans + <usize>slowCount * 8;
  store<i32>(s, start);
  store<i32>(s, end, 4);
  slowCount++;
  count++;
}
