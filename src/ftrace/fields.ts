// Reads an event's `key=value` fields by name, whatever their order or the kernel version's field set:
// hex and decimal numbers, `{a,b,...}` arrays, `A/B` counts, and the full field list (unknown fields included).

/** The kernel's DMA_MAPPING_ERROR (~0) as a double: addresses are kept as numbers, exact below 2^53. */
export const DMA_MAPPING_ERROR = 2 ** 64;

const needles = new Map<string, string>();

function valueStart(body: string, key: string): number {
  let needle = needles.get(key);
  if (needle === undefined) needles.set(key, (needle = key + '='));
  for (let i = body.indexOf(needle); i >= 0; i = body.indexOf(needle, i + 1)) {
    const before = i === 0 ? 32 : body.charCodeAt(i - 1);
    if (before === 32 || before === 9) return i + needle.length;
  }
  return -1;
}

function valueEnd(body: string, from: number): number {
  if (body.charCodeAt(from) === 123 /* { */) {
    const close = body.indexOf('}', from);
    return close < 0 ? body.length : close + 1;
  }
  const sp = body.indexOf(' ', from);
  return sp < 0 ? body.length : sp;
}

/** Where field `key`'s value starts in `body`, or -1. */
export function fieldAt(body: string, key: string): number {
  return valueStart(body, key);
}

/** The raw text of field `key`, or undefined when the event has no such field. */
export function field(body: string, key: string): string | undefined {
  const a = valueStart(body, key);
  return a < 0 ? undefined : body.slice(a, valueEnd(body, a));
}

/** Parses s[from, to) as hex (an optional 0x prefix); NaN if it is not hex. */
export function hexIn(s: string, from: number, to: number): number {
  if (to - from > 2 && s.charCodeAt(from) === 48 && (s.charCodeAt(from + 1) | 32) === 120) from += 2;
  if (from >= to) return NaN;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) | 32;
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return NaN;
    n = n * 16 + d;
  }
  return n;
}

/** A field printed with %llx (addresses, masks); NaN when absent or not hex. */
export function hexField(body: string, key: string): number {
  const a = valueStart(body, key);
  return a < 0 ? NaN : hexIn(body, a, valueEnd(body, a));
}

/** A field printed with %zu/%d/%u; a 0x prefix is honoured. NaN when absent or not a number. */
export function decField(body: string, key: string): number {
  const a = valueStart(body, key);
  if (a < 0) return NaN;
  const e = valueEnd(body, a);
  if (e - a > 2 && body.charCodeAt(a + 1) === 120) return hexIn(body, a, e);
  const negative = body.charCodeAt(a) === 45; /* - */
  let n = 0;
  for (let i = negative ? a + 1 : a; i < e; i++) {
    const c = body.charCodeAt(i);
    if (c < 48 || c > 57) return NaN;
    n = n * 10 + (c - 48);
  }
  return e > (negative ? a + 1 : a) ? (negative ? -n : n) : NaN;
}

/** A `{0x1,0x2}` array (elements in hex, as __print_array prints them); undefined when absent or malformed. */
export function arrayField(body: string, key: string): number[] | undefined {
  const a = valueStart(body, key);
  if (a < 0 || body.charCodeAt(a) !== 123) return undefined;
  const close = body.indexOf('}', a);
  if (close < 0) return undefined;
  const out: number[] = [];
  let from = a + 1;
  while (from < close) {
    let comma = body.indexOf(',', from);
    if (comma < 0 || comma > close) comma = close;
    const v = hexIn(body, from, comma);
    if (Number.isNaN(v)) return undefined;
    out.push(v);
    from = comma + 1;
  }
  return out;
}

/** An `A/B` pair such as `nents=32/64` (shown/full); undefined when absent or malformed. */
export function pairField(body: string, key: string): [number, number] | undefined {
  const t = field(body, key);
  const m = t === undefined ? null : /^(\d+)\/(\d+)$/.exec(t);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

export interface FieldEntry {
  key: string;
  value: string;
}

/**
 * Every field of the event, in order, known or not: `key=value` pairs, `key: value` pairs (`dev_name: DEV`),
 * and positional words under keys `$0`, `$1`, ... (the device name, `FORCE`, the `-` of an IOMMU range).
 */
export function allFields(body: string): FieldEntry[] {
  const out: FieldEntry[] = [];
  let positional = 0;
  let i = 0;
  while (i < body.length) {
    while (body.charCodeAt(i) === 32) i++;
    if (i >= body.length) break;
    let end = i;
    while (end < body.length && body.charCodeAt(end) !== 32 && body.charCodeAt(end) !== 61 /* = */) end++;
    if (body.charCodeAt(end) === 61) {
      const v = end + 1;
      const ve = valueEnd(body, v);
      out.push({ key: body.slice(i, end), value: body.slice(v, ve) });
      i = ve;
      continue;
    }
    const word = body.slice(i, end);
    let next = end;
    while (body.charCodeAt(next) === 32) next++;
    const nextWordEnd = next < body.length ? body.indexOf(' ', next) : -1;
    const nextWord = next < body.length ? body.slice(next, nextWordEnd < 0 ? body.length : nextWordEnd) : '';
    if (word.endsWith(':') && word.length > 1 && nextWord !== '' && !nextWord.includes('=')) {
      out.push({ key: word.slice(0, -1), value: nextWord });
      i = next + nextWord.length;
      continue;
    }
    out.push({ key: `$${positional++}`, value: word });
    i = end;
  }
  return out;
}

/** The device name of a `dma:*` event: its first word. */
export function firstWord(body: string): string {
  const sp = body.indexOf(' ');
  return sp < 0 ? body : body.slice(0, sp);
}
