// Splits scenario text into tokens (spec §2), stored column-wise in typed arrays so a 30 MB file lexes in a blink.
import { quoted } from '../text/shorten';
import { SourceSpan } from './span';

/** Token kinds. Numbers written with a K/M/G unit are `Size`; identifiers with hyphens (stale-read, next-line) are `Word`. */
export const T = {
  Ident: 0,
  Word: 1,
  Number: 2,
  Size: 3,
  LParen: 4,
  RParen: 5,
  LBrace: 6,
  RBrace: 7,
  Comma: 8,
  Dot: 9,
  Colon: 10,
  Equals: 11,
  Newline: 12,
  /** A lexical error, already reported: the parser skips its line without another message. */
  Error: 13,
  End: 14,
} as const;
export type TokenKind = (typeof T)[keyof typeof T];

export interface LexError {
  line: number;
  column: number;
  length: number;
  message: string;
}

/**
 * The tokens of a file. Token `i` has kind `kind[i]`, starts at `line[i]`:`column[i]` and spans `length[i]`
 * characters of that line (no token crosses a line). For a number or size, `ref[i]` is its value; for an
 * identifier or word, `names[ref[i]]` is its text (each distinct text is stored once).
 */
export interface Tokens {
  count: number;
  kind: Uint8Array;
  line: Uint32Array;
  column: Uint32Array;
  length: Uint32Array;
  ref: Float64Array;
  names: string[];
  errors: LexError[];
}

const PUNCT: Record<number, TokenKind> = {
  0x28: T.LParen, 0x29: T.RParen, 0x7b: T.LBrace, 0x7d: T.RBrace,
  0x2c: T.Comma, 0x2e: T.Dot, 0x3a: T.Colon, 0x3d: T.Equals,
};

const UNITS: Record<string, number> = { K: 1024, KiB: 1024, M: 1024 ** 2, MiB: 1024 ** 2, G: 1024 ** 3, GiB: 1024 ** 3 };

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function digitValue(c: number, base: number): number {
  const d = c <= 57 ? c - 48 : (c | 0x20) - 87;
  return d >= 0 && d < base && (c <= 57 || c >= 65) ? d : -1;
}

/** Builds the column arrays, doubling them as tokens come, and interns identifier texts. */
class TokenBuffer implements Tokens {
  count = 0;
  kind: Uint8Array;
  line: Uint32Array;
  column: Uint32Array;
  length: Uint32Array;
  ref: Float64Array;
  names: string[] = [];
  errors: LexError[] = [];
  private nameHash: number[] = [];
  /** Open addressing: name id + 1, or 0 for a free slot. */
  private table = new Int32Array(1024);

  constructor(capacity: number) {
    this.kind = new Uint8Array(capacity);
    this.line = new Uint32Array(capacity);
    this.column = new Uint32Array(capacity);
    this.length = new Uint32Array(capacity);
    this.ref = new Float64Array(capacity);
  }

  push(kind: TokenKind, line: number, column: number, length: number, ref: number): void {
    if (this.count === this.kind.length) this.grow();
    const i = this.count++;
    this.kind[i] = kind;
    this.line[i] = line;
    this.column[i] = column;
    this.length[i] = length;
    this.ref[i] = ref;
  }

  /** The id of `text.slice(start, end)`, whose hash is `hash`, without building the string when it is known. */
  intern(text: string, start: number, end: number, hash: number): number {
    const mask = this.table.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.table[slot];
      if (entry === 0) {
        const id = this.names.length;
        this.names.push(text.slice(start, end));
        this.nameHash.push(hash);
        this.table[slot] = id + 1;
        if (this.names.length * 2 > this.table.length) this.rehash();
        return id;
      }
      const id = entry - 1;
      const name = this.names[id];
      if (this.nameHash[id] === hash && name.length === end - start && text.startsWith(name, start)) return id;
    }
  }

  /** Reports a lexical error, once per line: the parser drops the whole line anyway. */
  fail(line: number, column: number, length: number, message: string): void {
    const last = this.errors[this.errors.length - 1];
    if (last && last.line === line) return;
    this.errors.push({ line, column, length, message });
    this.push(T.Error, line, column, length, 0);
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2);
    const mask = table.length - 1;
    this.nameHash.forEach((hash, id) => {
      let slot = hash & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = id + 1;
    });
    this.table = table;
  }

  private grow(): void {
    const n = this.kind.length * 2;
    const kind = new Uint8Array(n); kind.set(this.kind); this.kind = kind;
    const line = new Uint32Array(n); line.set(this.line); this.line = line;
    const column = new Uint32Array(n); column.set(this.column); this.column = column;
    const length = new Uint32Array(n); length.set(this.length); this.length = length;
    const ref = new Float64Array(n); ref.set(this.ref); this.ref = ref;
  }
}

/** What `readNumber` found: a value and whether it carried a unit, or why the text is not a number. */
interface NumberScan {
  value: number;
  sized: boolean;
  error: string;
}

/** Reads the number `text[start, end)` (a run of digits, letters and underscores, perhaps signed) into `scan`. */
function readNumber(text: string, start: number, end: number, scan: NumberScan): boolean {
  const negative = text.charCodeAt(start) === 45;
  let k = negative ? start + 1 : start;
  let base = 10;
  if (text.charCodeAt(k) === 48 && (text.charCodeAt(k + 1) | 0x20) === 120) {
    base = 16;
    k += 2;
  }
  let v = 0;
  let digits = 0;
  for (; k < end; k++) {
    const c = text.charCodeAt(k);
    // `_` only between two digits, as in 0x8000_0000.
    if (c === 95 && digits > 0 && k + 1 < end && digitValue(text.charCodeAt(k + 1), base) >= 0) continue;
    const d = digitValue(c, base);
    if (d < 0) break;
    v = v * base + d;
    digits++;
  }
  const unit = k === end ? 1 : UNITS[text.slice(k, end)] ?? 0;
  if (digits > 0 && unit !== 0 && v * unit <= Number.MAX_SAFE_INTEGER && text.charCodeAt(k) !== 95) {
    scan.value = negative ? -v * unit : v * unit;
    scan.sized = unit !== 1;
    return true;
  }
  const shown = quoted(text.slice(start, end));
  if (digits === 0 || text.charCodeAt(k) === 95) scan.error = `invalid number ${shown}`;
  else if (unit === 0) scan.error = `invalid number ${shown} (sizes take K, KiB, M, MiB, G or GiB)`;
  else scan.error = `number too large: ${shown} is above 2^53-1`;
  return false;
}

function describeChar(c: number): string {
  return c >= 0x21 && c <= 0x7e ? `'${String.fromCharCode(c)}'` : `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}

export function tokenize(text: string): Tokens {
  // Scenarios run about one token per 3-4 characters: one allocation, rarely a second.
  const out = new TokenBuffer(Math.floor(text.length / 3) + 1024);
  const n = text.length;
  // A byte order mark, as some editors save one, is no character of the scenario; columns count after it, as the editor shows them.
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let lineStart = i;
  const scan: NumberScan = { value: 0, sized: false, error: '' };
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 13 || c === 11 || c === 12) {
      i++;
    } else if (c === 10) {
      if (out.count > 0 && out.kind[out.count - 1] !== T.Newline) out.push(T.Newline, line, i - lineStart + 1, 1, 0);
      line++;
      i++;
      lineStart = i;
    } else if (c === 35) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? n : nl;
    } else if (isIdentStart(c)) {
      let hash = c;
      let j = i + 1;
      let kind: TokenKind = T.Ident;
      for (;;) {
        const d = j < n ? text.charCodeAt(j) : 0;
        // Hazard kinds and option values such as stale-read and next-line join words with hyphens.
        if (d === 45 && j + 1 < n && isIdentStart(text.charCodeAt(j + 1))) kind = T.Word;
        else if (!isIdentPart(d)) break;
        hash = (Math.imul(hash, 31) + d) | 0;
        j++;
      }
      out.push(kind, line, i - lineStart + 1, j - i, out.intern(text, i, j, hash));
      i = j;
    } else if (isDigit(c) || (c === 45 && i + 1 < n && isDigit(text.charCodeAt(i + 1)))) {
      let j = i + 1;
      while (j < n && isIdentPart(text.charCodeAt(j))) j++;
      if (readNumber(text, i, j, scan)) out.push(scan.sized ? T.Size : T.Number, line, i - lineStart + 1, j - i, scan.value);
      else out.fail(line, i - lineStart + 1, j - i, scan.error);
      i = j;
    } else {
      const kind = PUNCT[c];
      if (kind !== undefined) {
        out.push(kind, line, i - lineStart + 1, 1, 0);
        i++;
        continue;
      }
      // A character beyond the BMP (an emoji) is two UTF-16 units: named and marked whole.
      const cp = text.codePointAt(i) ?? c;
      const units = cp > 0xffff ? 2 : 1;
      out.fail(line, i - lineStart + 1, units, `unexpected character ${describeChar(cp)}`);
      i += units;
    }
  }
  if (out.count > 0 && out.kind[out.count - 1] !== T.Newline) out.push(T.Newline, line, i - lineStart + 1, 0, 0);
  out.push(T.End, line, i - lineStart + 1, 0, 0);
  return out;
}

/** The source span of token `i`. */
export function tokenSpan(tokens: Tokens, i: number): SourceSpan {
  const line = tokens.line[i];
  const column = tokens.column[i];
  return new SourceSpan(line, column, line, column + tokens.length[i]);
}
