// One line of the fast path: decodes a hot DMA or IOMMU line (single maps, unmaps and syncs of both kernels, IOMMU
// maps and unmaps, in the kernel's own layout) straight from its bytes into the batch's next record. It accepts only
// lines that `parseLine` and `decodeEvent` read to the very same values, and declines anything else (another layout,
// a field it cannot read, a comment) for the general parser. The event names, keys and directions are those of
// eventBatch.ts and events.ts; the fast path tests pin that they agree.
import { COLON, EQUALS, SPACE, isBlank, isDigit, pastBlanks, pastByte, sameBytes, toBlank, toByte } from './bytes';
import { R, commit, nextRecord } from './batch';
import { LAST_ATTRS, LAST_DEVICE, intern } from './interner';
import { L_CODE, L_CPU_FROM, L_CPU_TO, L_FRACTION_FROM, L_LENGTH, L_SECONDS_FROM, L_SECONDS_TO, column, layoutOf, remember } from './layouts';
import { decimalOf, digitsBefore, hexEnd, hexValue, secondsAt, secondsOf } from './numbers';

// Event codes: HOT_NAMES' order.
const FIRST_UNMAP = 3;
const FIRST_SYNC = 6;
const IOMMU_MAP = 8;
const IOMMU_UNMAP = 9;

// Keys of the `key=value` words the events need.
const K_DIR = 0;
const K_ATTRS = 1;
const K_DMA = 2;
const K_SIZE = 3;
const K_PHYS = 4;
const K_IOVA = 5;
const K_PADDR = 6;
const K_UNMAPPED = 7;
const KEYS = 8;

// ---- Words the fast path looks for, packed (bytes zero-padded to WORD_BYTES, then the length) so that a span is
// compared eight bytes at a time.
const WORD_BYTES = 32;
const WORD_SIZE = WORD_BYTES + 8;
/** Word numbers: the keys (K_*), the hot names (NAME + code), then these. */
const NAME = KEYS;
const W_IOMMU = NAME + 10;
const W_DMA_ = W_IOMMU + 1;
const W_DIRECTION = W_DMA_ + 1;
const WORD_LIST = ['dir', 'attrs', 'dma_addr', 'size', 'phys_addr', 'iova', 'paddr', 'unmapped_size',
  'dma_map_phys', 'dma_map_page', 'dma_map_resource', 'dma_unmap_phys', 'dma_unmap_page', 'dma_unmap_resource',
  'dma_sync_single_for_cpu', 'dma_sync_single_for_device', 'map', 'unmap',
  'IOMMU:', 'DMA_', 'TO_DEVICE', 'FROM_DEVICE', 'BIDIRECTIONAL', 'NONE'];
const WORDS = packWords();

function packWords(): usize {
  const n = WORD_LIST.length;
  const words = heap.alloc(<usize>n * WORD_SIZE);
  memory.fill(words, 0, <usize>n * WORD_SIZE);
  for (let k = 0; k < n; k++) {
    const w = words + <usize>k * WORD_SIZE;
    const text = WORD_LIST[k];
    for (let i = 0; i < text.length; i++) store<u8>(w + <usize>i, <u8>text.charCodeAt(i));
    store<usize>(w + WORD_BYTES, <usize>text.length);
  }
  return words;
}

// @ts-ignore: decorator
@inline function wordAt(k: i32): usize {
  return WORDS + <usize>k * WORD_SIZE;
}

// @ts-ignore: decorator
@inline function wordLength(k: i32): usize {
  return load<usize>(wordAt(k) + WORD_BYTES);
}

/** Whether b[from, to) is word `k`. */
function spanIs(from: usize, to: usize, k: i32): bool {
  const w = wordAt(k);
  const n = load<usize>(w + WORD_BYTES);
  return to - from == n && sameBytes(from, w, n);
}

/** The hot event code of the name b[from, to), or -1. */
function nameCode(from: usize, to: usize): i32 {
  switch (<i32>(to - from)) {
    case 3: return spanIs(from, to, NAME + IOMMU_MAP) ? IOMMU_MAP : -1;
    case 5: return spanIs(from, to, NAME + IOMMU_UNMAP) ? IOMMU_UNMAP : -1;
    case 12: return spanIs(from, to, NAME) ? 0 : spanIs(from, to, NAME + 1) ? 1 : -1;
    case 14: return spanIs(from, to, NAME + FIRST_UNMAP) ? FIRST_UNMAP : spanIs(from, to, NAME + FIRST_UNMAP + 1) ? FIRST_UNMAP + 1 : -1;
    case 16: return spanIs(from, to, NAME + 2) ? 2 : -1;
    case 18: return spanIs(from, to, NAME + FIRST_UNMAP + 2) ? FIRST_UNMAP + 2 : -1;
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

/** Per key, sixteen bytes of `key=` (zero-padded) and sixteen of a mask over them: a key is told in one compare. */
const KEY_PATTERNS = keyPatterns();

function keyPatterns(): usize {
  const patterns = heap.alloc(KEYS * 32);
  memory.fill(patterns, 0, KEYS * 32);
  for (let k = 0; k < KEYS; k++) {
    const p = patterns + (<usize>k << 5);
    const n = wordLength(k);
    memory.copy(p, wordAt(k), n);
    store<u8>(p + n, EQUALS);
    memory.fill(p + 16, 0xff, n + 1);
  }
  return patterns;
}

/** Whether b[at, ...) starts with `key=` before `to`. */
// @ts-ignore: decorator
@inline function keyAt(at: usize, to: usize, key: i32): bool {
  const p = KEY_PATTERNS + (<usize>key << 5);
  return at + wordLength(key) < to && !v128.any_true(v128.and(v128.xor(v128.load(at), v128.load(p)), v128.load(p, 16)));
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

/** A number field's value; NaN when absent or unreadable. */
function numberOf(key: i32): f64 {
  return at(key) == 0 ? NaN : load<f64>(value + (<usize>key << 3));
}

/**
 * Decodes the line b[start, end) (no terminator) into the batch's next record; false (the batch untouched) when the
 * line is not one the fast path reads: comments, headers, markers, TGID columns, other events go the general way.
 */
export function parse(start: usize, end: usize, line: f64, offset: f64): bool {
  const t = layoutOf(start, end);
  if (t != 0) {
    const code = column(t, L_CODE);
    const body = start + <usize>column(t, L_LENGTH) - 1;
    const cpu = <f64>digitsBefore(start + <usize>column(t, L_CPU_TO), <usize>(column(t, L_CPU_TO) - column(t, L_CPU_FROM)));
    const fraction = column(t, L_FRACTION_FROM);
    const timestamp = secondsOf(start + <usize>column(t, L_SECONDS_FROM), fraction == 0 ? 0 : start + <usize>fraction, start + <usize>column(t, L_SECONDS_TO));
    return fields(body, end, code) && write(body, code, line, offset, timestamp, cpu);
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
  if (!fields(body, end, code) || !write(body, code, line, offset, timestamp, cpu)) return false;
  const dot = toByte(secondsFrom, tokEnd - 1, 46 /* . */);
  remember(start, body, bracket + 1, cpuTo, secondsFrom, dot < tokEnd - 1 ? dot + 1 : 0, tokEnd - 1, code);
  return true;
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
    } else if (key == K_SIZE || key == K_UNMAPPED) {
      // Plain decimal (`decIn` reads 0x and signs too: such lines go the general way).
      let digits = true;
      while (i < to && load<u8>(i) != SPACE) digits &= isDigit(load<u8>(i++));
      n = digits && i > v ? decimalOf(v, i) : NaN;
    } else {
      if (i + 1 < to && load<u8>(i) == 48 && (load<u8>(i + 1) | 32) == 120) i += 2;
      n = hexValue(i, to);
      i = hexEnd;
    }
    store<usize>(valAt + (<usize>key << alignof<usize>()), v);
    store<usize>(valEnd + (<usize>key << alignof<usize>()), i);
    store<f64>(value + (<usize>key << 3), n);
  }
  return true;
}

/** The direction's number of the `dir=` value (the `DMA_` spelling too), or -1. */
function direction(): i32 {
  let from = at(K_DIR);
  if (from == 0) return -1;
  const to = load<usize>(valEnd + (<usize>K_DIR << alignof<usize>()));
  if (to - from > 4 && spanIs(from, from + 4, W_DMA_)) from += 4;
  // Told apart by their lengths: TO_DEVICE, FROM_DEVICE, BIDIRECTIONAL, NONE.
  const n = to - from;
  const d = n == 9 ? 0 : n == 11 ? 1 : n == 13 ? 2 : n == 4 ? 3 : -1;
  return d >= 0 && spanIs(from, to, W_DIRECTION + d) ? d : -1;
}

function write(body: usize, code: i32, line: f64, offset: f64, timestamp: f64, cpu: f64): bool {
  const r = nextRecord();
  const size = numberOf(K_SIZE);
  if (isNaN(size)) return false;
  if (code >= IOMMU_MAP) {
    const iova = numberOf(K_IOVA);
    if (isNaN(iova)) return false;
    let other: f64;
    if (code == IOMMU_MAP) {
      other = numberOf(K_PADDR);
    } else {
      // `unmapped_size=` is optional; an unreadable one means the line is not read here, as `decodeEvent` reads it.
      other = at(K_UNMAPPED) == 0 ? size : load<f64>(value + (<usize>K_UNMAPPED << 3));
    }
    if (isNaN(other)) return false;
    store<f64>(r, other, R.OTHER * 8);
    store<f64>(r, iova, R.ADDR * 8);
  } else {
    const dir = direction();
    const dma = numberOf(K_DMA);
    if (dir < 0 || isNaN(dma)) return false;
    if (code < FIRST_UNMAP) {
      const phys = numberOf(K_PHYS);
      if (isNaN(phys)) return false;
      store<f64>(r, phys, R.OTHER * 8);
    }
    store<f64>(r, dma, R.ADDR * 8);
    store<f64>(r, <f64>intern(body, wordEnd, LAST_DEVICE), R.DEVICE * 8);
    // Syncs carry no attrs; a map or unmap without `attrs=` has none.
    const attrsFrom: usize = code >= FIRST_SYNC ? 0 : at(K_ATTRS);
    const attrs = attrsFrom == 0 ? intern(0, 0, LAST_ATTRS) : intern(attrsFrom, load<usize>(valEnd + (<usize>K_ATTRS << alignof<usize>())), LAST_ATTRS);
    store<f64>(r, <f64>attrs * 4 + <f64>dir, R.ATTRS_DIR * 8);
  }
  store<f64>(r, <f64>code, R.CODE * 8);
  store<f64>(r, line, R.LINE * 8);
  store<f64>(r, offset, R.OFFSET * 8);
  store<f64>(r, timestamp, R.TIME * 8);
  store<f64>(r, cpu, R.CPU * 8);
  store<f64>(r, size, R.SIZE * 8);
  commit();
  return true;
}
