// The context columns of recent lines, remembered so that the next line laid out the same way is read without
// searching for them. A line whose bytes up to its event's text are those of a remembered line but for digits, with
// digits exactly where that line had them, has every column where that line had it (each test `parse` makes on the
// columns depends only on where blanks, digits and other bytes are, and on the other bytes): only the numbers differ.
// Lines of one task, one CPU and one event come in runs, so a handful of layouts serve almost every line.

/** Layouts remembered. */
const LAYOUTS: i32 = 8;
/** The longest prefix remembered: the line's bytes up to and including the first byte of the event's text. */
const PREFIX: usize = 128;
/** Per layout: the prefix's bytes, then per sixteen of them a mask of its digits, then the columns below. */
const DIGITS = PREFIX;
const FIELDS = DIGITS + (PREFIX >> 4) * 4;
const SIZE = FIELDS + 32;
// The columns, as offsets from the line's start (i32 each).
export const L_LENGTH = 0;
export const L_CPU_FROM = 4;
export const L_CPU_TO = 8;
export const L_SECONDS_FROM = 12;
/** Where the fraction's digits start (0: none), and where the timestamp ends. */
export const L_FRACTION_FROM = 16;
export const L_SECONDS_TO = 20;
export const L_CODE = 24;
/** The layout the line after this one had last time (-1: none): tried first. */
const L_NEXT = 28;

const layouts = heap.alloc(<usize>LAYOUTS * SIZE);
let count = 0;
let oldest = 0;
/** The layout of the last line read through one (-1: none). */
let last = -1;

// @ts-ignore: decorator
@inline function layoutAt(k: i32): usize {
  return layouts + <usize>k * SIZE;
}

// @ts-ignore: decorator
@inline export function column(layout: usize, field: i32): i32 {
  return load<i32>(layout + FIELDS + <usize>field);
}

/** Bit i set where byte p + i is a decimal digit. */
// @ts-ignore: decorator
@inline function digits16(v: v128): i32 {
  return i8x16.bitmask(i8x16.lt_u(i8x16.sub(v, i8x16.splat(48)), i8x16.splat(10)));
}

/** Whether the line at `start` (ending at `end`) has the prefix of layout `t` but for its digits. */
function fits(t: usize, start: usize, end: usize): bool {
  const n = <usize>column(t, L_LENGTH);
  if (start + n > end) return false;
  for (let k: usize = 0; k < n; k += 16) {
    const v = v128.load(start + k);
    const digits = load<i32>(t + DIGITS + (k >> 2));
    const same = i8x16.bitmask(i8x16.eq(v, v128.load(t + k)));
    const live = n - k >= 16 ? 0xffff : (1 << <i32>(n - k)) - 1;
    if ((((digits16(v) ^ digits) | ~(same | digits)) & live) != 0) return false;
  }
  return true;
}

/** The layout the line at `start` has, or 0. */
export function layoutOf(start: usize, end: usize): usize {
  const guess = last < 0 ? -1 : column(layoutAt(last), L_NEXT);
  if (guess >= 0 && fits(layoutAt(guess), start, end)) return follow(guess);
  for (let k = 0; k < count; k++) if (k != guess && fits(layoutAt(k), start, end)) return follow(k);
  return 0;
}

function follow(k: i32): usize {
  if (last >= 0) store<i32>(layoutAt(last) + FIELDS + L_NEXT, k);
  last = k;
  return layoutAt(k);
}

/**
 * Remembers the layout of the line at `start` whose columns `parse` found (offsets from `start`; `body` is where the
 * event's text starts), in place of the oldest one; lines it cannot stand for (too long a prefix) are not kept.
 */
export function remember(start: usize, body: usize, cpuFrom: usize, cpuTo: usize, secondsFrom: usize, fractionFrom: usize, secondsTo: usize, code: i32): void {
  const n = body + 1 - start;
  if (n > PREFIX || cpuTo - cpuFrom > 8 || secondsTo - secondsFrom > 24) return;
  const k = oldest;
  oldest = (oldest + 1) % LAYOUTS;
  if (count < LAYOUTS) count++;
  const t = layoutAt(k);
  memory.copy(t, start, n);
  for (let i: usize = 0; i < PREFIX; i += 16) {
    const live = n <= i ? 0 : n - i >= 16 ? 0xffff : (1 << <i32>(n - i)) - 1;
    store<i32>(t + DIGITS + (i >> 2), live == 0 ? 0 : digits16(v128.load(start + i)) & live);
  }
  store<i32>(t + FIELDS + L_LENGTH, <i32>n);
  store<i32>(t + FIELDS + L_CPU_FROM, <i32>(cpuFrom - start));
  store<i32>(t + FIELDS + L_CPU_TO, <i32>(cpuTo - start));
  store<i32>(t + FIELDS + L_SECONDS_FROM, <i32>(secondsFrom - start));
  store<i32>(t + FIELDS + L_FRACTION_FROM, fractionFrom == 0 ? 0 : <i32>(fractionFrom - start));
  store<i32>(t + FIELDS + L_SECONDS_TO, <i32>(secondsTo - start));
  store<i32>(t + FIELDS + L_CODE, code);
  store<i32>(t + FIELDS + L_NEXT, -1);
  // Layouts that pointed at this slot pointed at another line's.
  for (let j = 0; j < count; j++) if (column(layoutAt(j), L_NEXT) == k) store<i32>(layoutAt(j) + FIELDS + L_NEXT, -1);
  if (last >= 0 && last != k) store<i32>(layoutAt(last) + FIELDS + L_NEXT, k);
  last = k;
}
