// Reads an event's fields by name, whatever their order or the kernel version's field set: one pass over the
// event's text indexes its `key=value` and `key: value` pairs and its positional words, in place (no substrings),
// then hex and decimal numbers, `{a,b,...}` arrays and `A/B` counts are read from the index.
import { Interner } from './intern';
import { DMA_MAPPING_ERROR, EXACT } from './recordLayout';

/** Set by each hexIn and decIn: whether it read a number and refused it as `EXACT` or more (for a reason to give). */
let refusedWide = false;

/**
 * Whether `n` is a number as the trace printed it: below `EXACT`, where a double holds every integer. From there
 * 2^53 + 1 reads as 2^53, and two addresses a byte apart could compare equal (a false double unmap), so a wider value
 * is unreadable (the line is malformed), but for ~0.
 */
export function heldExactly(n: number): boolean {
  return n < EXACT;
}

/** Whether s[from, to) is ~0 as a 64-bit value prints: sixteen f digits after any leading zeros. */
function allOnes(s: string, from: number, to: number): boolean {
  while (from < to && s.charCodeAt(from) === 48) from++;
  if (to - from !== 16) return false;
  for (let i = from; i < to; i++) if ((s.charCodeAt(i) | 32) !== 102) return false;
  return true;
}

const MAX_TOKENS = 64;

/** Parses s[from, to) as hex (an optional 0x prefix); NaN if it is not hex, or is `EXACT` or more and not ~0. */
function hexIn(s: string, from: number, to: number): number {
  refusedWide = false;
  if (to - from > 2 && s.charCodeAt(from) === 48 && (s.charCodeAt(from + 1) | 32) === 120) from += 2;
  if (from >= to) return NaN;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) | 32;
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return NaN;
    n = n * 16 + d;
  }
  if (heldExactly(n)) return n;
  if (allOnes(s, from, to)) return DMA_MAPPING_ERROR;
  refusedWide = true;
  return NaN;
}

/** Parses s[from, to) as a decimal integer (or hex with 0x, as `hexIn`); NaN if it is not one, or is `EXACT` or more (but ~0 in hex). */
function decIn(s: string, from: number, to: number): number {
  if (to - from > 2 && s.charCodeAt(from + 1) === 120) return hexIn(s, from, to);
  refusedWide = false;
  const negative = s.charCodeAt(from) === 45; /* - */
  const a = negative ? from + 1 : from;
  if (a >= to) return NaN;
  let n = 0;
  for (let i = a; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return NaN;
    n = n * 10 + (c - 48);
  }
  refusedWide = !heldExactly(n);
  if (refusedWide) return NaN;
  return negative ? -n : n;
}

/**
 * The fields of one event's text s[from, to): `key=value` (a value may be a `{...}` array), `key: value`
 * (`dev_name: DEV`), and positional words. Reused from event to event: `scan` replaces what it holds.
 * Scalar fields are found by a native search for `key=` (a capture has millions of events, and a loop over
 * every character in JavaScript costs more than the whole raw read); the word index is built only when a
 * lookup needs it (arrays, `key: value`, positional words after the first, a text the search cannot read).
 */
export class FieldIndex {
  s = '';
  private from = 0;
  private to = 0;
  /** s[from, to) as its own string, cut on the first search so that a search stops at the event's end. */
  private body: string | undefined = undefined;
  /** The value found by `locate`. */
  private at = 0;
  private until = 0;
  private indexed = false;
  /** The fields `hex` or `dec` refused as too wide (made only when one is). */
  private wide: Set<string> | undefined;
  private count = 0;
  /** Per token: key start and end (equal for a positional word), value start and end. */
  private readonly keyAt = new Int32Array(MAX_TOKENS);
  private readonly keyEnd = new Int32Array(MAX_TOKENS);
  private readonly valAt = new Int32Array(MAX_TOKENS);
  private readonly valEnd = new Int32Array(MAX_TOKENS);

  /** Words and values (devices, directions, attrs) repeat from event to event. */
  private readonly strings = new Interner();

  scan(s: string, from: number, to: number): this {
    // No test of whether `s` is the buffer of the last event: strings compare by content, and two reads of the same
    // bytes (a debugger replaying from a checkpoint) made every event's test a compare of the whole buffer.
    this.s = s;
    this.from = from;
    this.to = to;
    this.body = undefined;
    this.indexed = false;
    this.wide = undefined;
    return this;
  }

  /** Builds the word index of the current text. */
  private index(): void {
    if (this.indexed) return;
    this.indexed = true;
    const s = this.s;
    const to = this.to;
    let n = 0;
    let i = this.from;
    while (i < to && n < MAX_TOKENS) {
      while (i < to && s.charCodeAt(i) === 32) i++;
      if (i >= to) break;
      const k = i;
      // One pass finds the word's end and its first '='.
      let sp = i;
      let eq = -1;
      for (; sp < to; sp++) {
        const c = s.charCodeAt(sp);
        if (c === 32) break;
        if (c === 61 /* = */ && eq < 0) eq = sp;
      }
      if (eq >= 0) {
        const v = eq + 1;
        let e = sp;
        if (s.charCodeAt(v) === 123 /* { */) {
          const close = this.closingBrace(v);
          e = close >= 0 && close < to ? close + 1 : to;
        }
        this.set(n++, k, eq, v, e);
        i = e;
        continue;
      }
      // `key: value`, when the next word is not itself a key=value.
      if (sp - k > 1 && s.charCodeAt(sp - 1) === 58 /* : */) {
        let v = sp;
        while (v < to && s.charCodeAt(v) === 32) v++;
        let e = v < to ? s.indexOf(' ', v) : to;
        if (e < 0 || e > to) e = to;
        const value = e > v ? s.indexOf('=', v) : v;
        if (e > v && (value < 0 || value >= e)) {
          this.set(n++, k, sp - 1, v, e);
          i = e;
          continue;
        }
      }
      this.set(n++, k, k, k, sp);
      i = sp;
    }
    this.count = n;
  }

  /** Finds the value of scalar field `key` (into `at`, `until`); false when the text has none. */
  private locate(key: string): boolean {
    const body = this.body ?? (this.body = this.s.slice(this.from, this.to));
    const k = this.keyIn(body, key);
    if (k >= 0 && body.charCodeAt(k + key.length + 1) !== 123 /* { */) {
      const v = k + key.length + 1;
      let e = body.indexOf(' ', v);
      if (e < 0) e = body.length;
      this.at = this.from + v;
      this.until = this.from + e;
      return true;
    }
    // `key: value`, an array, or a word the search cannot tell from a value: the word index decides.
    const t = this.find(key);
    if (t < 0) return false;
    this.at = this.valAt[t];
    this.until = this.valEnd[t];
    return true;
  }

  /** Where the first word of `body` that starts with `key=` is, or -1. */
  private keyIn(body: string, key: string): number {
    for (let i = body.indexOf(key); i >= 0; i = body.indexOf(key, i + 1)) {
      if (body.charCodeAt(i + key.length) === 61 /* = */ && (i === 0 || body.charCodeAt(i - 1) === 32)) return i;
    }
    return -1;
  }

  /** The '}' closing the array that opens at v, within the event's text (-1: unclosed, as a cut line leaves it). */
  private closingBrace(v: number): number {
    // Searched in the event's own text: in the buffer, an unclosed array would search on to its end.
    const body = this.body ?? (this.body = this.s.slice(this.from, this.to));
    const close = body.indexOf('}', v - this.from);
    return close < 0 ? -1 : this.from + close;
  }

  private set(n: number, keyAt: number, keyEnd: number, valAt: number, valEnd: number): void {
    this.keyAt[n] = keyAt;
    this.keyEnd[n] = keyEnd;
    this.valAt[n] = valAt;
    this.valEnd[n] = valEnd;
  }

  /** Set by `wordAfter`: where the word ends, and whether it holds '='. */
  private wordEnd = 0;
  private wordHasEq = false;

  /** The start of the first word at or after `i` (`to` when none). */
  private wordAfter(i: number): number {
    const s = this.s;
    while (i < this.to && s.charCodeAt(i) === 32) i++;
    let e = i;
    let eq = false;
    for (; e < this.to; e++) {
      const c = s.charCodeAt(e);
      if (c === 32) break;
      if (c === 61) eq = true;
    }
    this.wordEnd = e;
    this.wordHasEq = eq;
    return i;
  }

  /** The token index of field `key`, or -1. */
  private find(key: string): number {
    this.index();
    const s = this.s;
    const first = key.charCodeAt(0);
    // Comparing the length and first character before the whole key keeps a lookup to a few loads per token.
    for (let t = 0; t < this.count; t++) {
      const at = this.keyAt[t];
      if (this.keyEnd[t] - at === key.length && s.charCodeAt(at) === first && s.startsWith(key, at)) return t;
    }
    return -1;
  }

  /** The n-th positional word (`$0` is a dma event's device), or undefined. */
  word(n: number): string | undefined {
    if (n === 0 && !this.indexed) {
      // The first word (a dma event's device, `IOMMU:`) is positional unless it holds '=' or is the key of a
      // `key: value` pair; telling that needs no index.
      const i = this.wordAfter(this.from);
      const e = this.wordEnd;
      if (e > i && !this.wordHasEq && (this.s.charCodeAt(e - 1) !== 58 /* : */ || this.wordAfter(e) === this.to || this.wordHasEq)) {
        return this.strings.get(this.s, i, e);
      }
    }
    this.index();
    for (let t = 0; t < this.count; t++) {
      if (this.keyEnd[t] === this.keyAt[t] && n-- === 0) return this.strings.get(this.s, this.valAt[t], this.valEnd[t]);
    }
    return undefined;
  }

  hasWord(word: string): boolean {
    this.index();
    for (let t = 0; t < this.count; t++) {
      if (this.keyEnd[t] === this.keyAt[t] && this.valEnd[t] - this.valAt[t] === word.length && this.s.startsWith(word, this.valAt[t])) return true;
    }
    return false;
  }

  text(key: string): string | undefined {
    return this.locate(key) ? this.strings.get(this.s, this.at, this.until) : undefined;
  }

  /** A field printed with %llx (addresses, masks); NaN when absent or not hex. */
  hex(key: string): number {
    return this.locate(key) ? this.read(key, hexIn) : NaN;
  }

  /** A field printed with %zu/%d/%u (0x honoured); NaN when absent or not a number. */
  dec(key: string): number {
    return this.locate(key) ? this.read(key, decIn) : NaN;
  }

  /** Whether field `key` was read as a number too wide to hold exactly (2^53 or more, but ~0 in hex). */
  isWide(key: string): boolean {
    return this.wide?.has(key) ?? false;
  }

  private read(key: string, parse: (s: string, from: number, to: number) => number): number {
    const n = parse(this.s, this.at, this.until);
    if (refusedWide) (this.wide ??= new Set()).add(key);
    return n;
  }

  /** A `{0x1,0x2}` array (hex elements, as __print_array prints them); undefined when absent or malformed. */
  array(key: string): number[] | undefined {
    const t = this.find(key);
    if (t < 0) return undefined;
    const s = this.s;
    const close = this.valEnd[t] - 1;
    if (s.charCodeAt(this.valAt[t]) !== 123 || s.charCodeAt(close) !== 125) return undefined;
    const out: number[] = [];
    for (let from = this.valAt[t] + 1; from < close; ) {
      let comma = s.indexOf(',', from);
      if (comma < 0 || comma > close) comma = close;
      while (s.charCodeAt(from) === 32) from++;
      const v = hexIn(s, from, comma);
      if (Number.isNaN(v)) return undefined;
      out.push(v);
      from = comma + 1;
    }
    return out;
  }

  /** An `A/B` count such as `nents=32/64`: B (the full count), or NaN. */
  pairFull(key: string): number {
    const t = this.find(key);
    if (t < 0) return NaN;
    const slash = this.s.indexOf('/', this.valAt[t]);
    if (slash < 0 || slash >= this.valEnd[t] || Number.isNaN(decIn(this.s, this.valAt[t], slash))) return NaN;
    return decIn(this.s, slash + 1, this.valEnd[t]);
  }

  /** Every field, in order, known or not; positional words under keys `$0`, `$1`, ... */
  entries(): FieldEntry[] {
    this.index();
    const out: FieldEntry[] = [];
    let positional = 0;
    for (let t = 0; t < this.count; t++) {
      const key = this.keyEnd[t] === this.keyAt[t] ? `$${positional++}` : this.s.slice(this.keyAt[t], this.keyEnd[t]);
      out.push({ key, value: this.s.slice(this.valAt[t], this.valEnd[t]) });
    }
    return out;
  }
}

export interface FieldEntry {
  key: string;
  value: string;
}

/** Every field of an event's text, known or not (for display: the Variables view, `allFields` in tests). */
export function allFields(body: string): FieldEntry[] {
  return new FieldIndex().scan(body, 0, body.length).entries();
}
