// The context columns of recent lines, remembered so that the next line laid out the same way is read without
// searching for them. A line whose bytes up to its event's text are those of a remembered line but for digits, with
// digits exactly where that line had them, has every column where that line had it (each test `parse` makes on the
// columns depends only on where blanks, digits and other bytes are, and on the other bytes): only the numbers differ.
// Lines of one task, one CPU and one event come in runs, so a few layouts per task and context serve almost every line.
// A layout also keeps the head of its last dma event's text (device and direction), which its next lines most often
// repeat byte for byte: so read without searching for its words or interning the device again.

/**
 * Layouts remembered, in sets of WAYS: a line's set is told by its first 48 bytes but for their digits (its task,
 * pid, CPU column and flags), so that a capture of many tasks and contexts keeps its layouts without a search of them
 * all. (Eight layouts searched in turn kept 90% of a network capture's lines, whose softirq, idle and user contexts
 * interleave; its decoding took a quarter longer than that of a capture of one task.)
 */
const SETS: i32 = 32;
const WAYS: i32 = 4;
/** The longest prefix remembered: the line's bytes up to and including the first byte of the event's text. */
const PREFIX: usize = 128;
/**
 * Per layout: the prefix's bytes, then 0xff where they are digits, then 0xff past the prefix, then the columns below,
 * then the head of its last dma event's text.
 */
const DIGITS = PREFIX;
const PAST = DIGITS + PREFIX;
const FIELDS = PAST + PREFIX;
/** Bytes for the columns (L_*). */
const FIELDS_BYTES: usize = 64;
const HEAD = FIELDS + FIELDS_BYTES;
/** The longest head remembered. */
const HEAD_BYTES: usize = 64;
const SIZE = HEAD + HEAD_BYTES;
// The columns, as offsets from the line's start (i32 each).
export const L_LENGTH = 0;
export const L_CPU_FROM = 4;
export const L_CPU_TO = 8;
export const L_SECONDS_FROM = 12;
/** Where the fraction's digits start (0: none), and where the timestamp ends. */
export const L_FRACTION_FROM = 16;
export const L_SECONDS_TO = 20;
export const L_CODE = 24;
/** The layouts the lines after this one had the last two times they differed (-1: none): tried first. */
const L_NEXT = 28;
const L_NEXT2 = 32;
/**
 * The last dma event's head (`DEVICE dir=D dma_addr=`) read in the kernel's order on a line of the layout, if it was
 * no longer than HEAD_BYTES: its length (0: none yet), then the device's id and the direction it was read to. Lines
 * of one layout most often name one device in one direction.
 */
const L_HEAD_LENGTH = 36;
export const L_HEAD_DEVICE = 40;
export const L_HEAD_DIRECTION = 44;

const layouts = heap.alloc(<usize>(SETS * WAYS) * SIZE);
memory.fill(layouts, 0, <usize>(SETS * WAYS) * SIZE);
/** Per set, the way its next layout takes (the oldest). */
const nextWay = heap.alloc(<usize>SETS);
memory.fill(nextWay, 0, <usize>SETS);
/** The layout of the last line read through one (-1: none). */
let last = -1;
/** The set of the last line `layoutOf` found no layout for: `remember` keeps its layout there. */
let missedSet = 0;
const IOTA = i8x16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

// @ts-ignore: decorator
@inline function layoutAt(k: i32): usize {
  return layouts + <usize>k * SIZE;
}

// @ts-ignore: decorator
@inline export function column(layout: usize, field: i32): i32 {
  return load<i32>(layout + FIELDS + <usize>field);
}

/** 0xff where a byte of `v` is a decimal digit. */
// @ts-ignore: decorator
@inline function digits16(v: v128): v128 {
  return i8x16.lt_u(i8x16.sub(v, i8x16.splat(48)), i8x16.splat(10));
}

/** Whether the bytes at `start` (before `end`) have the prefix of layout `t` but for its digits. */
function fits(t: usize, start: usize, end: usize): bool {
  const n = <usize>column(t, L_LENGTH);
  // An empty way (length 0) fits no line.
  if (n == 0 || start + n > end) return false;
  // A byte fits when it lies past the prefix, or is a digit where the layout has one, or else is the layout's byte.
  let fit = i8x16.splat(-1);
  for (let k: usize = 0; k < n; k += 16) {
    const v = v128.load(start + k);
    const byte = v128.bitselect(digits16(v), i8x16.eq(v, v128.load(t + k)), v128.load(t + DIGITS + k));
    fit = v128.and(fit, v128.or(byte, v128.load(t + PAST + k)));
  }
  return i8x16.all_true(fit);
}

/** The sixteen bytes at `p`, but 0 for digits and bytes past `end`. */
// @ts-ignore: decorator
@inline function hashedBytes(p: usize, end: usize): v128 {
  const before = i8x16.lt_u(IOTA, i8x16.splat(<i8>(end > p ? min(end - p, 16) : 0)));
  return v128.andnot(v128.and(v128.load(p), before), digits16(v128.load(p)));
}

/** The set of the line at `start`: its first 48 bytes (those before `end`) but for digits, mixed. */
function setOf(start: usize, end: usize): i32 {
  const x = v128.xor(v128.xor(hashedBytes(start, end), hashedBytes(start + 16, end)), hashedBytes(start + 32, end));
  const h = i64x2.extract_lane(x, 0) * 0x9e3779b97f4a7c15 ^ i64x2.extract_lane(x, 1) * 0xc2b2ae3d27d4eb4f;
  return <i32>(h >>> 59) & (SETS - 1);
}

/**
 * The layout the line at `start` has, or 0. `end` may lie past the line's end (the reader asks before it finds the
 * line's end): a layout's prefix holds no newline, so the line ends past the bytes that fit it.
 */
export function layoutOf(start: usize, end: usize): usize {
  // The two layouts that followed the last one before, then the line's set.
  const t: usize = last < 0 ? 0 : layoutAt(last);
  const first = t == 0 ? -1 : column(t, L_NEXT);
  if (first >= 0 && fits(layoutAt(first), start, end)) return follow(first);
  const second = t == 0 ? -1 : column(t, L_NEXT2);
  if (second >= 0 && fits(layoutAt(second), start, end)) return follow(second);
  const set = setOf(start, end);
  missedSet = set;
  for (let k = set * WAYS; k < (set + 1) * WAYS; k++) if (k != first && k != second && fits(layoutAt(k), start, end)) return follow(k);
  return 0;
}

function follow(k: i32): usize {
  if (last >= 0) {
    const t = layoutAt(last);
    if (column(t, L_NEXT) != k) {
      store<i32>(t + FIELDS + L_NEXT2, column(t, L_NEXT));
      store<i32>(t + FIELDS + L_NEXT, k);
    }
  }
  last = k;
  return layoutAt(k);
}

/**
 * Remembers the layout of the line at `start` whose columns `parse` found (offsets from `start`; `body` is where the
 * event's text starts), in place of the oldest of its set; lines it cannot stand for (too long a prefix) are not kept.
 */
export function remember(start: usize, body: usize, cpuFrom: usize, cpuTo: usize, secondsFrom: usize, fractionFrom: usize, secondsTo: usize, code: i32): void {
  const n = body + 1 - start;
  if (n > PREFIX || cpuTo - cpuFrom > 8 || secondsTo - secondsFrom > 24) return;
  // In place of the oldest of the set `layoutOf` looked in for this line. Predictions (L_NEXT) that name the way
  // replaced are only tried first: `fits` decides.
  const way = load<u8>(nextWay + <usize>missedSet);
  store<u8>(nextWay + <usize>missedSet, (way + 1) % WAYS);
  const k = missedSet * WAYS + way;
  const t = layoutAt(k);
  memory.copy(t, start, n);
  const length = i8x16.splat(<i8>n);
  for (let i: usize = 0; i < PREFIX; i += 16) {
    const inside = i8x16.lt_u(i8x16.add(IOTA, i8x16.splat(<i8>i)), length);
    v128.store(t + DIGITS + i, i < n ? v128.and(digits16(v128.load(start + i)), inside) : i8x16.splat(0));
    v128.store(t + PAST + i, v128.not(inside));
  }
  store<i32>(t + FIELDS + L_LENGTH, <i32>n);
  store<i32>(t + FIELDS + L_CPU_FROM, <i32>(cpuFrom - start));
  store<i32>(t + FIELDS + L_CPU_TO, <i32>(cpuTo - start));
  store<i32>(t + FIELDS + L_SECONDS_FROM, <i32>(secondsFrom - start));
  store<i32>(t + FIELDS + L_FRACTION_FROM, fractionFrom == 0 ? 0 : <i32>(fractionFrom - start));
  store<i32>(t + FIELDS + L_SECONDS_TO, <i32>(secondsTo - start));
  store<i32>(t + FIELDS + L_CODE, code);
  store<i32>(t + FIELDS + L_NEXT, -1);
  store<i32>(t + FIELDS + L_NEXT2, -1);
  store<i32>(t + FIELDS + L_HEAD_LENGTH, 0);
  // The line's own layout is what followed the last one (unless it took the last one's slot).
  if (last >= 0 && last != k) follow(k);
  else last = k;
}

/** Whether the text b[from, to) starts with the head remembered for layout `t`: where its address starts, or 0. */
export function pastHead(t: usize, from: usize, to: usize): usize {
  const n = <usize>column(t, L_HEAD_LENGTH);
  if (n == 0 || from + n > to) return 0;
  // Bytes past the head are masked off (the loads may pass the line: see SLACK in hotLines.ts).
  const length = i8x16.splat(<i8>n);
  let same = i8x16.splat(-1);
  for (let k: usize = 0; k < n; k += 16) {
    const past = i8x16.ge_u(i8x16.add(IOTA, i8x16.splat(<i8>k)), length);
    same = v128.and(same, v128.or(i8x16.eq(v128.load(from + k), v128.load(t + HEAD + k)), past));
  }
  return i8x16.all_true(same) ? from + n : 0;
}

/** Remembers b[from, to) as the head of layout `t`'s dma events, read to device `device` and direction `dir`. */
export function rememberHead(t: usize, from: usize, to: usize, device: i32, dir: i32): void {
  const n = to - from;
  if (n > HEAD_BYTES) return;
  memory.copy(t + HEAD, from, n);
  store<i32>(t + FIELDS + L_HEAD_LENGTH, <i32>n);
  store<i32>(t + FIELDS + L_HEAD_DEVICE, device);
  store<i32>(t + FIELDS + L_HEAD_DIRECTION, dir);
}
