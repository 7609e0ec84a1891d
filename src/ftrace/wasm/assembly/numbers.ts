// Numbers read from the bytes to the very doubles the JavaScript parsers compute: hex values, plain decimals and
// `SECONDS.FRACTION` timestamps.
import { DMA_MAPPING_ERROR, EXACT } from '../../recordLayout';
import { SPACE, isDigit } from './bytes';

// Numbers are read as the JavaScript parsers read them, `n = n * base + digit` in doubles, which is exact while n stays
// below EXACT (2^53): up to there an integer accumulator (no chain of float multiplies per digit) gives the same double.

/** 10^k for k up to 15, exact in a double: the `scale` `parseLine` reaches by multiplying by ten k times. */
const POW10 = memory.data<f64>([1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15]);

/** Decimal digits b[from, to) known to be digits, as the parsers' double loop reads them. */
export function decimalOf(from: usize, to: usize): f64 {
  if (to - from <= 15) {
    let x: u64 = 0;
    for (let i = from; i < to; i++) x = x * 10 + <u64>(load<u8>(i) - 48);
    return <f64>x;
  }
  let n: f64 = 0;
  for (let i = from; i < to; i++) n = n * 10 + <f64>(load<u8>(i) - 48);
  return n;
}

/** A hex value `x` as `hexIn` reads it: from 2^53 on only ~0 (DMA_MAPPING_ERROR, 2^64 as a double), anything else NaN. */
// @ts-ignore: decorator
@inline function hexOf(x: u64): f64 {
  if (x < <u64>EXACT) return <f64>x;
  return x == <u64>-1 ? DMA_MAPPING_ERROR : NaN;
}

/** Where the value `hexValue`, `hexAt` or `decimalValue` read last ends. */
export let valueEnd: usize = 0;
const IOTA = i8x16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

/**
 * The hex digits from `from` to the next space (or `to`) as `hexIn` reads them, NaN if any is not one (sets `valueEnd`):
 * checked and packed sixteen bytes at a time when the value fits in them.
 */
export function hexValue(from: usize, to: usize): f64 {
  const v = v128.load(from);
  const spaces = i8x16.bitmask(i8x16.eq(v, i8x16.splat(<i8>SPACE)));
  const len = min(<usize>ctz(spaces | 0x10000), to - from);
  // Sixteen digits and a seventeenth byte that is not a space: a longer value.
  if (len == 16 && to - from > 16 && load<u8>(from + 16) != SPACE) return hexLong(from, to);
  valueEnd = from + len;
  const l = v128.or(v, i8x16.splat(32));
  const dec = i8x16.sub(l, i8x16.splat(48));
  const alpha = i8x16.sub(l, i8x16.splat(97));
  const isDec = i8x16.lt_u(dec, i8x16.splat(10));
  const want = (1 << <i32>len) - 1;
  if (len == 0 || (i8x16.bitmask(v128.or(isDec, i8x16.lt_u(alpha, i8x16.splat(6)))) & want) != want) return NaN;
  // The nibbles, last digit first, then two to a byte: the value's little-endian bytes.
  const digits = i8x16.swizzle(v128.bitselect(dec, i8x16.add(alpha, i8x16.splat(10)), isDec), i8x16.sub(i8x16.splat(<i8>(len - 1)), IOTA));
  const pairs = v128.or(v128.and(digits, i16x8.splat(0xff)), v128.and(i16x8.shr_u(digits, 4), i16x8.splat(0xf0)));
  return hexOf(i64x2.extract_lane(i8x16.narrow_i16x8_u(pairs, pairs), 0));
}

/** `hexValue` for a value of more than sixteen bytes, a byte at a time. */
function hexLong(from: usize, to: usize): f64 {
  let i = from;
  let digits = true;
  for (; i < to && load<u8>(i) != SPACE; i++) digits &= hexDigit(load<u8>(i)) >= 0;
  valueEnd = i;
  if (!digits) return NaN;
  // Past its leading zeros, a value of more than sixteen digits is past 2^64.
  let first = from;
  while (first < i && load<u8>(first) == 48) first++;
  if (i - first > 16) return NaN;
  let x: u64 = 0;
  for (let j = first; j < i; j++) x = (x << 4) | <u64>hexDigit(load<u8>(j));
  return hexOf(x);
}

/** Seconds exactly as `parseLine` computes them (the same double operations in the same order); NaN when not `digits[.digits]`. */
export function secondsAt(from: usize, to: usize): f64 {
  let x: u64 = 0;
  let i = from;
  for (let d: u32; i < to && (d = <u32>load<u8>(i) - 48) < 10; i++) x = x * 10 + d;
  if (i == from) return NaN;
  const whole = i - from <= 15 ? <f64>x : decimalOf(from, i);
  if (i == to) return whole;
  if (load<u8>(i) != 46 /* . */) return NaN;
  const dot = ++i;
  x = 0;
  for (let d: u32; i < to && (d = <u32>load<u8>(i) - 48) < 10; i++) x = x * 10 + d;
  if (i != to) return NaN;
  const k = to - dot;
  if (k <= 15) return withDigits(whole, <f64>x, load<f64>(POW10 + (k << 3)));
  let scale: f64 = 1;
  for (let d: usize = 0; d < k; d++) scale *= 10;
  return whole + decimalOf(dot, to) / scale;
}

/** A byte's value as a hex digit, read the way `hexIn` reads it (the byte | 32), or -1. */
// @ts-ignore: decorator
@inline function hexDigit(c: u32): i32 {
  const l = c | 32;
  return l - 48 < 10 ? <i32>(l - 48) : l - 97 < 6 ? <i32>(l - 87) : -1;
}

/** The `n` (1 to 8) decimal digits that end at `end`, known to be digits: one eight-byte load, no loop. */
export function digitsBefore(end: usize, n: usize): u64 {
  // The bytes before the digits (the load may start before the line) are zeroed: digit 0 to what follows.
  let v = load<u64>(end - 8) & (<u64>-1 << ((8 - <u64>n) << 3));
  v = ((v & 0x0f0f0f0f0f0f0f0f) * 2561) >> 8;
  v = ((v & 0x00ff00ff00ff00ff) * 6553601) >> 16;
  return ((v & 0x0000ffff0000ffff) * 42949672960001) >> 32;
}

/** Up to sixteen digits known to be digits, ending at `end`. */
// @ts-ignore: decorator
@inline function digitsUpTo16(end: usize, n: usize): u64 {
  return n <= 8 ? digitsBefore(end, n) : digitsBefore(end - 8, n - 8) * 100000000 + digitsBefore(end, 8);
}

/**
 * Seconds of `whole` and the fraction `fraction` / `scale` as `parseLine` computes them: one division of exact
 * integers (the double nearest the printed value) while they stay below 2^53.
 */
// @ts-ignore: decorator
@inline function withDigits(whole: f64, fraction: f64, scale: f64): f64 {
  const n = whole * scale + fraction;
  return n < EXACT ? n / scale : whole + fraction / scale;
}

/** `whole` plus the fraction whose `k` (up to 15) digits end at `to`, as `secondsAt` adds them. */
// @ts-ignore: decorator
@inline function withFraction(whole: f64, to: usize, k: usize): f64 {
  return k == 0 ? whole : withDigits(whole, <f64>digitsUpTo16(to, k), load<f64>(POW10 + (k << 3)));
}

/**
 * `secondsAt` of a timestamp whose digits are known to be in place (`digits[.digits]`, the fraction's digits from
 * `fractionFrom`, 0 when there is no dot): the same doubles, without a loop.
 */
export function secondsOf(from: usize, fractionFrom: usize, to: usize): f64 {
  const wholeTo = fractionFrom == 0 ? to : fractionFrom - 1;
  const k: usize = fractionFrom == 0 ? 0 : to - fractionFrom;
  if (wholeTo - from > 15 || k > 15) return secondsAt(from, to);
  return withFraction(<f64>digitsUpTo16(wholeTo, wholeTo - from), to, k);
}

/** A hex value at `from` (`0x` or not) up to the next space or `to`, as `hexIn` reads it; NaN if not one (sets `valueEnd`). */
export function hexAt(from: usize, to: usize): f64 {
  if (from + 1 < to && load<u8>(from) == 48 && (load<u8>(from + 1) | 32) == 120) from += 2;
  return hexValue(from, to);
}

/**
 * Plain decimal digits from `from` to the next space or `to` (`decIn` reads 0x and signs too: such values are not
 * read here), NaN if there are none or any is not a digit (sets `valueEnd`).
 */
export function decimalValue(from: usize, to: usize): f64 {
  const v = v128.load(from);
  const len = min(<usize>ctz(i8x16.bitmask(i8x16.eq(v, i8x16.splat(<i8>SPACE))) | 0x10000), to - from);
  if (len == 16 && to - from > 16 && load<u8>(from + 16) != SPACE) {
    let i = from;
    let digits = true;
    while (i < to && load<u8>(i) != SPACE) digits &= isDigit(load<u8>(i++));
    valueEnd = i;
    return digits ? exactly(decimalOf(from, i)) : NaN;
  }
  valueEnd = from + len;
  const want = (1 << <i32>len) - 1;
  const digits = i8x16.bitmask(i8x16.lt_u(i8x16.sub(v, i8x16.splat(48)), i8x16.splat(10)));
  if (len == 0 || (digits & want) != want) return NaN;
  return len <= 8 ? <f64>digitsBefore(valueEnd, len) : exactly(decimalOf(from, valueEnd));
}

/** `n`, or NaN from 2^53 on, as `decIn` reads a decimal field: a double no longer holds every integer there. */
// @ts-ignore: decorator
@inline function exactly(n: f64): f64 {
  return n < EXACT ? n : NaN;
}
