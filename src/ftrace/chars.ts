// Character tests of the line parser (over a decoded string's char codes): what a blank or a digit is in a trace
// line. The WebAssembly fast path (wasm/assembly/bytes.ts) reads the same definitions over bytes.

const SPACE = 32;
const TAB = 9;

/** A space or a tab: what separates a trace line's columns and fields. */
export function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
