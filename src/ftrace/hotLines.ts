// The fast path of the reader: decodes the lines that make up almost all of a DMA capture (single maps, unmaps and
// syncs, IOMMU maps and unmaps, in the kernel's own layout) straight from the file's bytes into an `EventBatch`.
// It accepts only lines that `parseLine` and `decodeEvent` would read to the very same values and declines anything
// else (another layout, a field it cannot read, a comment): the caller hands those to the general parser.
import { ByteInterner } from './byteInterner';
import { isBlank, isDigit, sameBytes } from './chars';
import {
  DIRECTION_NAMES, FIRST_SYNC, FIRST_UNMAP, HOT_NAMES, IOMMU_MAP, IOMMU_UNMAP, R_ADDR, R_ATTRS_DIR, R_CODE, R_CPU, R_DEVICE, R_LINE,
  R_OFFSET, R_OTHER, R_SIZE, R_TIME, STRIDE, attrsDir, type EventBatch,
} from './eventBatch';

const SPACE = 32;
const COLON = 58;
const EQUALS = 61;


/** The hot names' bytes, by code. */
const NAMES = HOT_NAMES.map((name) => Buffer.from(name, 'latin1'));

/** `dir=` spellings: `TO_DEVICE` and `DMA_TO_DEVICE` are direction 0, and so on. */
const DIRECTIONS = DIRECTION_NAMES.flatMap((d, i) => [
  { bytes: Buffer.from(d, 'latin1'), dir: i }, { bytes: Buffer.from('DMA_' + d, 'latin1'), dir: i },
]);

const KEYS = ['dir', 'attrs', 'dma_addr', 'size', 'phys_addr', 'iova', 'paddr', 'unmapped_size'].map((k) => Buffer.from(k, 'latin1'));
const K_DIR = 0;
const K_ATTRS = 1;
const K_DMA = 2;
const K_SIZE = 3;
const K_PHYS = 4;
const K_IOVA = 5;
const K_PADDR = 6;
const K_UNMAPPED = 7;

/** The key of KEYS that b[from, to) may be, told by its length and first byte (-1: none); `spanIs` confirms it. */
function keyCandidate(b: Uint8Array, from: number, to: number): number {
  const c = b[from];
  switch (to - from) {
    case 3: return c === 100 /* d */ ? K_DIR : -1;
    case 4: return c === 115 /* s */ ? K_SIZE : c === 105 /* i */ ? K_IOVA : -1;
    case 5: return c === 97 /* a */ ? K_ATTRS : c === 112 /* p */ ? K_PADDR : -1;
    case 8: return c === 100 ? K_DMA : -1;
    case 9: return c === 112 ? K_PHYS : -1;
    case 13: return c === 117 /* u */ ? K_UNMAPPED : -1;
  }
  return -1;
}
const IOMMU_WORD = Buffer.from('IOMMU:', 'latin1');

/** The hot name's code of the event name b[from, to), or -1. */
function nameCode(b: Uint8Array, from: number, to: number): number {
  // Only the lengths of hot names get the loop: most events of other groups stop here.
  const n = to - from;
  if (n !== 3 && n !== 5 && (n < 12 || n > 26)) return -1;
  for (let code = 0; code < NAMES.length; code++) if (spanIs(b, from, to, NAMES[code])) return code;
  return -1;
}

function spanIs(b: Uint8Array, from: number, to: number, word: Uint8Array): boolean {
  return to - from === word.length && sameBytes(word, b, from);
}

/** Plain decimal digits; NaN for anything else. */
function digitsAt(b: Uint8Array, from: number, to: number): number {
  if (from >= to) return NaN;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = b[i];
    if (c < 48 || c > 57) return NaN;
    n = n * 10 + (c - 48);
  }
  return n;
}

/** Seconds exactly as `parseLine` computes them; NaN when the text is not `digits[.digits]`. */
function secondsAt(b: Uint8Array, from: number, to: number): number {
  let whole = 0;
  let i = from;
  for (; i < to && isDigit(b[i]); i++) whole = whole * 10 + (b[i] - 48);
  if (i === from) return NaN;
  if (i === to) return whole;
  if (b[i] !== 46 /* . */) return NaN;
  let frac = 0;
  let scale = 1;
  for (i++; i < to; i++) {
    const c = b[i];
    if (!isDigit(c)) return NaN;
    frac = frac * 10 + (c - 48);
    scale *= 10;
  }
  return whole + frac / scale;
}

/** Per byte: its value as a hex digit read the way `hexIn` reads it (the byte | 32), or -1. */
const HEX_DIGIT = Int8Array.from({ length: 256 }, (_, c) => {
  const l = c | 32;
  return l >= 48 && l <= 57 ? l - 48 : l >= 97 && l <= 102 ? l - 87 : -1;
});
/** Per byte: 1 for the bytes of a key (lowercase letters, digits, '_'). */
const KEY_BYTE = Uint8Array.from({ length: 256 }, (_, c) => ((c >= 97 && c <= 122) || c === 95 || (c >= 48 && c <= 57) ? 1 : 0));

/**
 * The kernel's order of the words after the first, per hot event code (-1: a word no key is expected at): a word
 * that starts with the expected `key=` is read without classifying its key byte by byte.
 */
const LAYOUTS: number[][] = HOT_NAMES.map((_, code) =>
  code === IOMMU_UNMAP ? [K_IOVA, -1, -1, K_SIZE, K_UNMAPPED]
    : code === IOMMU_MAP ? [K_IOVA, -1, -1, K_PADDR, K_SIZE]
      : code >= FIRST_SYNC ? [K_DIR, K_DMA, K_SIZE]
        : code >= FIRST_UNMAP ? [K_DIR, K_DMA, K_SIZE, K_ATTRS]
          : [K_DIR, K_DMA, K_SIZE, K_PHYS, K_ATTRS]);

/** Whether b[at, ...) starts with `key=`. */
function keyAt(b: Uint8Array, at: number, to: number, key: Uint8Array): boolean {
  const end = at + key.length;
  if (end >= to || b[end] !== EQUALS) return false;
  for (let i = 0; i < key.length; i++) if (b[at + i] !== key[i]) return false;
  return true;
}

/** Keys whose value is hex (`hexIn`), plain decimal (`decIn` reads 0x and signs too: such lines go the general way), or text. */
const HEX = 1;
const DECIMAL = 2;
const KIND = [0, 0, HEX, DECIMAL, HEX, HEX, HEX, DECIMAL];

export class HotLineParser {
  readonly strings = new ByteInterner();
  /** Per key of KEYS, from its first `key=value` word: where the value lies (-1: absent) and, for numbers, its value. */
  private readonly valAt = new Int32Array(KEYS.length);
  private readonly valEnd = new Int32Array(KEYS.length);
  private readonly value = new Float64Array(KEYS.length);
  /** Where the first word of the text ends. */
  private wordEnd = 0;

  /**
   * Decodes the line b[start, end) (no terminator) into the batch's next record; false (the batch untouched) when
   * the line is not one the fast path reads.
   */
  parse(b: Uint8Array, start: number, end: number, line: number, offset: number, batch: EventBatch): boolean {
    let i = start;
    while (i < end && isBlank(b[i])) i++;
    // Comments, headers and `CPU:N [LOST N EVENTS]` markers go the general way.
    if (i >= end || b[i] === 35 /* # */ || b[i] === 67 /* C */) return false;
    // The [CPU] column: the first '[' must open it.
    let bracket = i;
    while (bracket < end && b[bracket] !== 91 /* [ */) bracket++;
    let j = bracket + 1;
    while (j < end && isDigit(b[j])) j++;
    if (j === bracket + 1 || j >= end || b[j] !== 93 /* ] */) return false;
    const cpu = digitsAt(b, bracket + 1, j);
    // TASK-PID right before it, without a (TGID) column.
    let e = bracket;
    while (e > i && isBlank(b[e - 1])) e--;
    let p = e;
    while (p > i && isDigit(b[p - 1])) p--;
    if (p === e || p - 1 < i || b[p - 1] !== 45 /* - */) return false;
    // Optional flags, then `TIMESTAMP:`.
    j++;
    while (j < end && isBlank(b[j])) j++;
    let tokEnd = j;
    while (tokEnd < end && !isBlank(b[tokEnd])) tokEnd++;
    if (tokEnd === j) return false;
    if (b[tokEnd - 1] !== COLON || !isDigit(b[j])) {
      j = tokEnd;
      while (j < end && isBlank(b[j])) j++;
      tokEnd = j;
      while (tokEnd < end && !isBlank(b[tokEnd])) tokEnd++;
      if (tokEnd <= j || b[tokEnd - 1] !== COLON) return false;
    }
    const timestamp = secondsAt(b, j, tokEnd - 1);
    if (timestamp !== timestamp) return false;
    // `EVENT:` and the event's text.
    j = tokEnd;
    while (j < end && isBlank(b[j])) j++;
    let colon = j;
    while (colon < end && b[colon] !== COLON) colon++;
    if (colon >= end) return false;
    const code = nameCode(b, j, colon);
    if (code < 0) return false;
    let body = colon + 1;
    while (body < end && isBlank(b[body])) body++;
    return this.fields(b, body, end, code) && this.write(b, body, code, line, offset, timestamp, cpu, batch);
  }

  /**
   * Reads the `key=value` words of the text b[from, to) that the events need, numbers as it goes; false when the
   * text holds what only the general parser reads the same way (a `key: value` pair, a `{...}` value).
   */
  private fields(b: Uint8Array, from: number, to: number, code: number): boolean {
    const valAt = this.valAt;
    for (let k = 0; k < valAt.length; k++) valAt[k] = -1;
    // The first word: the device (no '=', not a `key:`), or `IOMMU:` for the IOMMU's events.
    let w = from;
    while (w < to && b[w] !== SPACE) {
      if (b[w] === EQUALS) return false;
      w++;
    }
    if (w === from) return false;
    const iommu = code >= IOMMU_MAP;
    if (iommu !== (b[w - 1] === COLON) || (iommu && !spanIs(b, from, w, IOMMU_WORD))) return false;
    this.wordEnd = w;
    let first = true;
    const layout = LAYOUTS[code];
    for (let i = w, word = 0; i < to; word++) {
      while (i < to && b[i] === SPACE) i++;
      if (i >= to) break;
      const k = i;
      const expected = word < layout.length ? layout[word] : -1;
      let key = -1;
      if (expected >= 0 && valAt[expected] < 0 && keyAt(b, k, to, KEYS[expected])) {
        key = expected;
        i = k + KEYS[key].length;
      } else {
        // A key: lowercase letters, digits and '_' up to '='.
        while (i < to && KEY_BYTE[b[i]] === 1) i++;
        key = i < to && b[i] === EQUALS ? keyCandidate(b, k, i) : -1;
        if (key >= 0 && (valAt[key] >= 0 || !spanIs(b, k, i, KEYS[key]))) key = -1;
      }
      if (key < 0) {
        // Any other word. `IOMMU:` is a word only before a `key=value`; a `key:` word starts a `key: value` pair.
        let eq = i < to && b[i] === EQUALS;
        for (; i < to && b[i] !== SPACE; i++) if (b[i] === EQUALS) eq = true;
        if (!eq && (b[i - 1] === COLON || (iommu && first))) return false;
        first = false;
        continue;
      }
      first = false;
      const v = ++i;
      if (b[v] === 123 /* { */) return false;
      const kind = KIND[key];
      let n = 0;
      if (kind === HEX) {
        if (b[i] === 48 && (b[i + 1] | 32) === 120) i += 2;
        const digits = i;
        for (; i < to && b[i] !== SPACE; i++) {
          const d = HEX_DIGIT[b[i]];
          n = d < 0 ? NaN : n * 16 + d;
        }
        if (i === digits) n = NaN;
      } else if (kind === DECIMAL) {
        for (; i < to && b[i] !== SPACE; i++) n = isDigit(b[i]) ? n * 10 + (b[i] - 48) : NaN;
        if (i === v) n = NaN;
      } else {
        while (i < to && b[i] !== SPACE) i++;
      }
      valAt[key] = v;
      this.valEnd[key] = i;
      this.value[key] = n;
    }
    return true;
  }

  /** A number field's value; NaN when absent or unreadable. */
  private number(key: number): number {
    return this.valAt[key] < 0 ? NaN : this.value[key];
  }

  private direction(b: Uint8Array): number {
    if (this.valAt[K_DIR] < 0) return -1;
    for (let k = 0; k < DIRECTIONS.length; k++) if (spanIs(b, this.valAt[K_DIR], this.valEnd[K_DIR], DIRECTIONS[k].bytes)) return DIRECTIONS[k].dir;
    return -1;
  }

  private write(b: Uint8Array, body: number, code: number, line: number, offset: number, timestamp: number, cpu: number, batch: EventBatch): boolean {
    const r = batch.records;
    const at = batch.count * STRIDE;
    const size = this.number(K_SIZE);
    if (size !== size) return false;
    if (code >= IOMMU_MAP) {
      const iova = this.number(K_IOVA);
      if (iova !== iova) return false;
      if (code === IOMMU_MAP) {
        const paddr = this.number(K_PADDR);
        if (paddr !== paddr) return false;
        r[at + R_OTHER] = paddr;
      } else {
        // `unmapped_size=` is optional; an unreadable one means the size, as `decodeEvent` reads it.
        const unmapped = this.valAt[K_UNMAPPED] < 0 ? size : this.value[K_UNMAPPED];
        if (unmapped !== unmapped) return false;
        r[at + R_OTHER] = unmapped;
      }
      r[at + R_ADDR] = iova;
    } else {
      const dir = this.direction(b);
      const dma = this.number(K_DMA);
      if (dir < 0 || dma !== dma) return false;
      if (code < FIRST_UNMAP) {
        const phys = this.number(K_PHYS);
        if (phys !== phys) return false;
        r[at + R_OTHER] = phys;
      }
      r[at + R_ADDR] = dma;
      r[at + R_DEVICE] = this.strings.id(b, body, this.wordEnd);
      // Syncs carry no attrs; a map or unmap without `attrs=` has none.
      const attrs = code >= FIRST_SYNC || this.valAt[K_ATTRS] < 0 ? this.strings.id(b, 0, 0) : this.strings.id(b, this.valAt[K_ATTRS], this.valEnd[K_ATTRS]);
      r[at + R_ATTRS_DIR] = attrsDir(attrs, dir);
    }
    r[at + R_CODE] = code;
    r[at + R_LINE] = line;
    r[at + R_OFFSET] = offset;
    r[at + R_TIME] = timestamp;
    r[at + R_CPU] = cpu;
    r[at + R_SIZE] = size;
    batch.count++;
    return true;
  }
}
