// One line of the fast path: decodes a hot DMA or IOMMU line (single maps, unmaps and syncs of both kernels, IOMMU
// maps and unmaps, in the kernel's own layout; and marks, coherent allocations and frees printed as the kernel prints
// them) straight from its bytes into the batch's next record. It accepts only lines that `parseLine` and
// `decodeEvent` read to the very same values, and declines anything else (another layout, a field it cannot read, a
// comment) for the general parser. The event names, keys and directions are those of
// eventBatch.ts and events.ts; the fast path tests pin that they agree. This file reads the context columns (or takes
// them from a line laid out the same way, layouts.ts, with the head of its dma event's text) and the event's text in
// any order; kernelText.ts reads a text printed as the kernel prints it in one pass.
import { COLON, EQUALS, SPACE, isBlank, isDigit, pastBlanks, pastByte, toBlank, toByte } from './bytes';
import { commitEvent, deviceId, direction, knownDevice, setDevice, setDmaEvent, setIommuEvent } from './event';
import { dmaTail, headEnd, inKernelOrder } from './kernelText';
import {
  L_CODE, L_CPU_FROM, L_CPU_TO, L_FRACTION_FROM, L_HEAD_DEVICE, L_HEAD_DIRECTION, L_LENGTH, L_SECONDS_FROM, L_SECONDS_TO,
  column, pastHead, remember, rememberHead,
} from './layouts';
import { decimalOf, decimalValue, digitsBefore, hexAt, secondsAt, secondsOf, valueEnd } from './numbers';
import { ALLOC, FIRST_SYNC, FIRST_UNMAP, FREE, IOMMU_MAP, IOMMU_UNMAP, MARK } from '../../recordLayout';
import {
  KEYS, K_ATTRS, K_DIR, K_DMA, K_IOVA, K_PADDR, K_PHYS, K_SIZE,
  K_UNMAPPED, NAME, W_IOMMU, directionOf, keyAt, spanIs, wordLength,
} from './words';

/** The event code of the name b[from, to), or -1. */
function nameCode(from: usize, to: usize): i32 {
  switch (<i32>(to - from)) {
    case 3: return spanIs(from, to, NAME + IOMMU_MAP) ? IOMMU_MAP : -1;
    case 5: return spanIs(from, to, NAME + IOMMU_UNMAP) ? IOMMU_UNMAP : -1;
    case 8: return spanIs(from, to, NAME + FREE) ? FREE : -1;
    case 9: return spanIs(from, to, NAME + ALLOC) ? ALLOC : -1;
    case 12: return spanIs(from, to, NAME) ? 0 : spanIs(from, to, NAME + 1) ? 1 : -1;
    case 14: return spanIs(from, to, NAME + FIRST_UNMAP) ? FIRST_UNMAP : spanIs(from, to, NAME + FIRST_UNMAP + 1) ? FIRST_UNMAP + 1 : -1;
    case 16: return spanIs(from, to, NAME + 2) ? 2 : -1;
    case 18: return spanIs(from, to, NAME + FIRST_UNMAP + 2) ? FIRST_UNMAP + 2 : spanIs(from, to, NAME + MARK) ? MARK : -1;
    case 23: return spanIs(from, to, NAME + FIRST_SYNC) ? FIRST_SYNC : -1;
    case 26: return spanIs(from, to, NAME + FIRST_SYNC + 1) ? FIRST_SYNC + 1 : -1;
  }
  return -1;
}

/** The key that b[from, to) may be, told by its length and first byte (-1: none); `spanIs` confirms it. */
function keyCandidate(from: usize, to: usize): i32 {
  const c = load<u8>(from);
  switch (<i32>(to - from)) {
    case 3: return c == 100 /* d */ ? K_DIR : -1;
    case 4: return c == 115 /* s */ ? K_SIZE : c == 105 /* i */ ? K_IOVA : -1;
    case 5: return c == 97 /* a */ ? K_ATTRS : c == 112 /* p */ ? K_PADDR : -1;
    case 8: return c == 100 ? K_DMA : -1;
    case 9: return c == 112 ? K_PHYS : -1;
    case 13: return c == 117 /* u */ ? K_UNMAPPED : -1;
  }
  return -1;
}

/** The key the kernel prints as the `word`th word after the first of event `code` (-1: none expected there). */
function expectedKey(code: i32, word: i32): i32 {
  if (code == IOMMU_UNMAP) return word == 0 ? K_IOVA : word == 3 ? K_SIZE : word == 4 ? K_UNMAPPED : -1;
  if (code == IOMMU_MAP) return word == 0 ? K_IOVA : word == 3 ? K_PADDR : word == 4 ? K_SIZE : -1;
  if (word == 0) return K_DIR;
  if (word == 1) return K_DMA;
  if (word == 2) return K_SIZE;
  if (code >= FIRST_SYNC) return -1;
  if (code >= FIRST_UNMAP) return word == 3 ? K_ATTRS : -1;
  return word == 3 ? K_PHYS : word == 4 ? K_ATTRS : -1;
}

// ---- One line.

/** Per key, from its first `key=value` word: where the value starts (0: absent) and ends, and for numbers its value. */
const valAt = heap.alloc(KEYS * sizeof<usize>());
const valEnd = heap.alloc(KEYS * sizeof<usize>());
const value = heap.alloc(KEYS * 8);
/** Where the first word of the event's text ends. */
let wordEnd: usize = 0;

// @ts-ignore: decorator
@inline function at(key: i32): usize {
  return load<usize>(valAt + (<usize>key << alignof<usize>()));
}

// @ts-ignore: decorator
@inline function endOf(key: i32): usize {
  return load<usize>(valEnd + (<usize>key << alignof<usize>()));
}

/** A number field's value; NaN when absent or unreadable. */
function numberOf(key: i32): f64 {
  return at(key) == 0 ? NaN : load<f64>(value + (<usize>key << 3));
}

/**
 * Decodes the line b[start, end) (no terminator), laid out as layout `t` (0: as none, `layoutOf`), into the batch's
 * next record; false (the batch untouched) when the line is not one the fast path reads: comments, headers,
 * `[LOST N EVENTS]` markers, TGID columns, other events go the general way.
 */
export function parse(start: usize, end: usize, t: usize, line: f64, offset: f64): bool {
  // The general parser skips a byte order mark before the file's first line (a `#` after it makes a comment).
  if (offset == 0 && end - start >= 3 && (load<u32>(start) & 0xffffff) == 0xbfbbef) return false;
  if (t != 0) {
    const code = column(t, L_CODE);
    const body = start + <usize>column(t, L_LENGTH) - 1;
    const cpu = <f64>digitsBefore(start + <usize>column(t, L_CPU_TO), <usize>(column(t, L_CPU_TO) - column(t, L_CPU_FROM)));
    const fraction = column(t, L_FRACTION_FROM);
    const timestamp = secondsOf(start + <usize>column(t, L_SECONDS_FROM), fraction == 0 ? 0 : start + <usize>fraction, start + <usize>column(t, L_SECONDS_TO));
    if (code < IOMMU_MAP) {
      // A dma event whose text starts with the head remembered for this layout: its device and direction are known.
      const v = pastHead(t, body, end);
      if (v != 0 && dmaTail(column(t, L_HEAD_DIRECTION), v, end, code)) {
        knownDevice(column(t, L_HEAD_DEVICE));
        commitEvent(code, line, offset, timestamp, cpu);
        return true;
      }
    }
    if (!eventText(body, end, code)) return false;
    commitEvent(code, line, offset, timestamp, cpu);
    // A dma event's head read in the kernel's order serves the layout's next lines.
    if (code < IOMMU_MAP && headEnd != 0) rememberHead(t, body, headEnd, deviceId, direction);
    return true;
  }
  const i = pastBlanks(start, end);
  if (i >= end) return false;
  const first = load<u8>(i);
  if (first == 35 /* # */ || first == 67 /* C */) return false;
  // The [CPU] column: the first '[' must open it.
  const bracket = toByte(i, end, 91 /* [ */);
  let j = bracket + 1;
  while (j < end && isDigit(load<u8>(j))) j++;
  if (j == bracket + 1 || j >= end || load<u8>(j) != 93 /* ] */) return false;
  const cpu = decimalOf(bracket + 1, j);
  const cpuTo = j;
  // TASK-PID right before it, without a (TGID) column.
  let e = bracket;
  while (e > i && isBlank(load<u8>(e - 1))) e--;
  let p = e;
  while (p > i && isDigit(load<u8>(p - 1))) p--;
  if (p == e || p <= i || load<u8>(p - 1) != 45 /* - */) return false;
  // Optional flags, then `TIMESTAMP:`.
  j = pastBlanks(j + 1, end);
  let tokEnd = toBlank(j, end);
  if (tokEnd == j) return false;
  if (load<u8>(tokEnd - 1) != COLON || !isDigit(load<u8>(j))) {
    j = pastBlanks(tokEnd, end);
    tokEnd = toBlank(j, end);
    if (tokEnd <= j || load<u8>(tokEnd - 1) != COLON) return false;
  }
  const timestamp = secondsAt(j, tokEnd - 1);
  const secondsFrom = j;
  if (isNaN(timestamp)) return false;
  // `EVENT:` and the event's text.
  j = pastBlanks(tokEnd, end);
  const colon = toByte(j, end, COLON);
  if (colon >= end) return false;
  const code = nameCode(j, colon);
  if (code < 0) return false;
  const body = pastBlanks(colon + 1, end);
  if (!eventText(body, end, code)) return false;
  commitEvent(code, line, offset, timestamp, cpu);
  const dot = toByte(secondsFrom, tokEnd - 1, 46 /* . */);
  remember(start, body, bracket + 1, cpuTo, secondsFrom, dot < tokEnd - 1 ? dot + 1 : 0, tokEnd - 1, code);
  return true;
}

/** Reads the event's text b[from, to) into the event (event.ts): the short way when it can (the only way for marks and allocations). */
function eventText(from: usize, to: usize, code: i32): bool {
  return inKernelOrder(from, to, code) || (code < MARK && fields(from, to, code) && fromFields(from, code));
}

/**
 * Reads the `key=value` words of the text b[from, to) that the events need, numbers as it goes; false when the text
 * holds what only the general parser reads the same way (a `key: value` pair, a `{...}` value).
 */
function fields(from: usize, to: usize, code: i32): bool {
  // Every key absent (stores: a `memory.fill` is a call into the engine).
  for (let k: usize = 0; k < <usize>KEYS * sizeof<usize>(); k += 8) store<u64>(valAt + k, 0);
  // The first word: the device (no '=', not a `key:`), or `IOMMU:` for the IOMMU's events.
  const w = toByte(from, to, SPACE);
  if (w == from || toByte(from, w, EQUALS) < w) return false;
  const iommu = code >= IOMMU_MAP;
  if (iommu != (load<u8>(w - 1) == COLON) || (iommu && !spanIs(from, w, W_IOMMU))) return false;
  wordEnd = w;
  let first = true;
  let i = w;
  for (let word = 0; i < to; word++) {
    i = pastByte(i, to, SPACE);
    if (i >= to) break;
    const k = i;
    const expected = expectedKey(code, word);
    let key = -1;
    if (expected >= 0 && at(expected) == 0 && keyAt(k, to, expected)) {
      key = expected;
      i = k + wordLength(key);
    } else {
      // A key (the span before the word's first '=' spells one: so it is all key bytes) not seen yet.
      const e = toByte(k, to, SPACE);
      i = toByte(k, e, EQUALS);
      key = i < e ? keyCandidate(k, i) : -1;
      if (key >= 0 && (at(key) != 0 || !spanIs(k, i, key))) key = -1;
    }
    if (key < 0) {
      // Any other word. `IOMMU:` is a word only before a `key=value`; a `key:` word starts a `key: value` pair.
      const e = toByte(i, to, SPACE);
      const eq = toByte(i, e, EQUALS) < e;
      i = e;
      if (!eq && (load<u8>(i - 1) == COLON || (iommu && first))) return false;
      first = false;
      continue;
    }
    first = false;
    const v = ++i;
    if (v < to && load<u8>(v) == 123 /* { */) return false;
    let n: f64 = 0;
    if (key == K_DIR || key == K_ATTRS) {
      i = toByte(i, to, SPACE);
    } else {
      n = key == K_SIZE || key == K_UNMAPPED ? decimalValue(v, to) : hexAt(v, to);
      i = valueEnd;
    }
    store<usize>(valAt + (<usize>key << alignof<usize>()), v);
    store<usize>(valEnd + (<usize>key << alignof<usize>()), i);
    store<f64>(value + (<usize>key << 3), n);
  }
  return true;
}

/** Takes the event of `code` from the words `fields` read; false when one it needs is missing or unreadable. */
function fromFields(body: usize, code: i32): bool {
  const size = numberOf(K_SIZE);
  if (isNaN(size)) return false;
  if (code >= IOMMU_MAP) {
    const iova = numberOf(K_IOVA);
    // `unmapped_size=` is optional; an unreadable one means the line is not read here, as `decodeEvent` reads it.
    const other = code == IOMMU_MAP ? numberOf(K_PADDR) : at(K_UNMAPPED) == 0 ? size : load<f64>(value + (<usize>K_UNMAPPED << 3));
    if (isNaN(iova) || isNaN(other)) return false;
    setIommuEvent(iova, size, other);
    return true;
  }
  const dir = at(K_DIR) == 0 ? -1 : directionOf(at(K_DIR), endOf(K_DIR));
  const dma = numberOf(K_DMA);
  const phys = code < FIRST_UNMAP ? numberOf(K_PHYS) : 0;
  if (dir < 0 || isNaN(dma) || isNaN(phys)) return false;
  setDmaEvent(dir, dma, size, phys, at(K_ATTRS), endOf(K_ATTRS));
  setDevice(body, wordEnd);
  return true;
}
