// The trace reader's fast path, compiled to WebAssembly (see ../../hotLines.ts for the JavaScript side): finds the
// lines of the reader's window, decodes the hot DMA and IOMMU lines (and marks, coherent allocations and frees, whose
// text it notes as a span) straight from their bytes into records laid out as `EventBatch` lays them out, and notes
// every other non-blank line as a span for the general parser. It accepts only lines that `parseLine` and
// `decodeEvent` read to the very same values. Device names and attrs are interned here, in a hash table over an arena
// of the distinct byte strings, so that a record holds their ids.
// This file is the module's entry (its exports are the module's): the reader's window and the line loop. `line.ts`
// decodes a line's columns (`layouts.ts` remembers recent lines' columns) and its event's text (`kernelText.ts` when
// printed as the kernel prints it), `event.ts` writes the event into `batch.ts`'s records; `words.ts`, `numbers.ts`
// and `bytes.ts` hold what they compare and read with, `interner.ts` the strings.
import { batchFull, slowLine } from './batch';
import { CR, NL, isBlank } from './bytes';
import { L_LENGTH, column, layoutOf } from './layouts';
import { parse } from './line';

export { beginBatch, recordCount, textSpansAt, textsCount } from './batch';
export { stringAt, stringCount, stringLength } from './interner';

// ---- The window the reader reads the file into.

const SLACK = 64;
let window: usize = 0;
let windowSize: i32 = 0;
let lineNo: f64 = 0;

/** Makes the window at least `size` bytes with its `keep` bytes from `from` moved to its front; returns where it is. */
export function reserveWindow(size: i32, from: i32, keep: i32): usize {
  if (size > windowSize) {
    // Past its end, room for the sixteen- and eight-byte loads that look a little beyond a line.
    const bigger = heap.alloc(<usize>size + SLACK);
    if (keep > 0) memory.copy(bigger, window + <usize>from, <usize>keep);
    if (window != 0) heap.free(window);
    window = bigger;
    windowSize = size;
  } else if (keep > 0 && from > 0) {
    memory.copy(window, window + <usize>from, <usize>keep);
  }
  return window;
}

/** The number of the last line read. */
export function lastLine(): f64 {
  return lineNo;
}

/**
 * Reads the lines of window[pos, filled) into the batch until it is full or no whole line is left (at the end of the
 * file, `eof`, the last line needs no newline); `line` is the number of the last line read before, `base` the file
 * offset of the window's first byte. Returns where reading stopped.
 */
export function scan(pos: i32, filled: i32, eof: bool, line: f64, base: f64): i32 {
  lineNo = line;
  let p = window + <usize>pos;
  const limit = window + <usize>filled;
  while (!batchFull()) {
    if (p >= limit) break;
    const start = p;
    // The bytes of a line that match a recent line's layout hold no newline (a layout is made of a line's bytes before
    // its end, and a newline is no digit): the search for its end starts past them.
    const t = layoutOf(start, limit);
    const nl = newlineIn(t == 0 ? start : start + <usize>column(t, L_LENGTH), limit);
    if (nl == limit && !eof) break;
    let end = nl;
    p = nl < limit ? nl + 1 : limit;
    if (end > start && load<u8>(end - 1) == CR) end--;
    lineNo += 1;
    const offset = base + <f64>(start - window);
    if (!parse(start, end, t, lineNo, offset) && !blank(start, end)) slowLine(start, end, lineNo, offset);
  }
  return <i32>(p - window);
}

/** The first newline in [p, limit), or limit: sixteen bytes at a time. */
function newlineIn(p: usize, limit: usize): usize {
  const nls = i8x16.splat(<i8>NL);
  while (p + 16 <= limit) {
    const mask = i8x16.bitmask(i8x16.eq(v128.load(p), nls));
    if (mask != 0) return p + <usize>ctz(mask);
    p += 16;
  }
  while (p < limit && load<u8>(p) != NL) p++;
  return p;
}

function blank(from: usize, to: usize): bool {
  for (let i = from; i < to; i++) if (!isBlank(load<u8>(i))) return false;
  return true;
}
