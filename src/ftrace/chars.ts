// Character tests and byte comparisons shared by the line parser (over a decoded string's char codes) and the
// fast path (over the file's bytes): one definition of what a blank or a digit is in a trace line.

const SPACE = 32;
const TAB = 9;

/** A space or a tab: what separates a trace line's columns and fields. */
export function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Whether b[from, from + a.length) holds the bytes of `a`: a loop the JIT inlines, cheaper than a builtin call. */
export function sameBytes(a: Uint8Array, b: Uint8Array, from: number): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[from + i]) return false;
  return true;
}
