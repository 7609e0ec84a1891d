// Byte tests and searches of the fast path: what a blank or a digit is, spans compared eight bytes at a time, and the
// next blank, non-blank or given byte found sixteen bytes at a time. Loads may pass the end of a span: the reader's
// window has room past its end for them (SLACK in hotLines.ts).

export const TAB = 9;
export const NL = 10;
export const CR = 13;
export const SPACE = 32;
export const COLON = 58;
export const EQUALS = 61;

// @ts-ignore: decorator
@inline export function isBlank(c: u32): bool {
  return c == SPACE || c == TAB;
}

// @ts-ignore: decorator
@inline export function isDigit(c: u32): bool {
  return c - 48 < 10;
}

/** The first `n` bytes of `u` (zero-extended): one eight-byte load, which may pass the span (see SLACK). */
// @ts-ignore: decorator
@inline export function head(u: usize, n: usize): u64 {
  return n >= 8 ? load<u64>(u) : load<u64>(u) & ((<u64>1 << (<u64>n << 3)) - 1);
}

/** Whether the `n` bytes at `a` and at `b` are the same, compared eight at a time. */
export function sameBytes(a: usize, b: usize, n: usize): bool {
  let i: usize = 0;
  for (; i + 8 <= n; i += 8) if (load<u64>(a + i) != load<u64>(b + i)) return false;
  return i == n || head(a + i, n - i) == head(b + i, n - i);
}

/** Bit i set where byte p + i is a blank. */
// @ts-ignore: decorator
@inline function blanks16(p: usize): i32 {
  const v = v128.load(p);
  return i8x16.bitmask(v128.or(i8x16.eq(v, i8x16.splat(<i8>SPACE)), i8x16.eq(v, i8x16.splat(<i8>TAB))));
}

// @ts-ignore: decorator
@inline function bytes16(p: usize, c: i32): i32 {
  return i8x16.bitmask(i8x16.eq(v128.load(p), i8x16.splat(<i8>c)));
}

/** The first blank in [p, end), or end. */
export function toBlank(p: usize, end: usize): usize {
  for (; p < end; p += 16) {
    const m = blanks16(p);
    if (m != 0) return min(p + <usize>ctz(m), end);
  }
  return end;
}

/** The first byte that is not a blank in [p, end), or end. */
export function pastBlanks(p: usize, end: usize): usize {
  for (; p < end; p += 16) {
    const m = ~blanks16(p) & 0xffff;
    if (m != 0) return min(p + <usize>ctz(m), end);
  }
  return end;
}

/** The first byte `c` in [p, end), or end. */
export function toByte(p: usize, end: usize, c: i32): usize {
  for (; p < end; p += 16) {
    const m = bytes16(p, c);
    if (m != 0) return min(p + <usize>ctz(m), end);
  }
  return end;
}

/** The first byte other than `c` in [p, end), or end. */
export function pastByte(p: usize, end: usize, c: i32): usize {
  for (; p < end; p += 16) {
    const m = ~bytes16(p, c) & 0xffff;
    if (m != 0) return min(p + <usize>ctz(m), end);
  }
  return end;
}
