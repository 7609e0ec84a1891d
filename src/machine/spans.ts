// Sets of byte ranges kept as sorted, disjoint, non-touching spans: what one mapping owns of its buffer. Span objects
// are never changed once made, so a copy of the state may share them; the array is changed in place (copyOnWrite.ts).
import { firstEndingAfter } from '../sorted/search';
import { replaced } from './copyOnWrite';

export interface Span {
  readonly off: number;
  readonly len: number;
}

/** The parts of [off, +len) that `spans` cover (`covered`), or that they leave out. */
export function partsOf(spans: readonly Span[], off: number, len: number, covered: boolean): Span[] {
  const out: Span[] = [];
  const end = off + len;
  let pos = off;
  for (let k = firstEndingAfter(spans, off); k < spans.length && spans[k].off < end; k++) {
    const s = spans[k];
    const a = Math.max(s.off, pos);
    const e = Math.min(s.off + s.len, end);
    if (a >= e) continue;
    if (covered) out.push({ off: a, len: e - a });
    else if (a > pos) out.push({ off: pos, len: a - pos });
    pos = e;
  }
  if (!covered && pos < end) out.push({ off: pos, len: end - pos });
  return out;
}

/** The bytes of [off, +len) that `spans` cover. */
export function coveredBytes(spans: readonly Span[], off: number, len: number): number {
  const end = off + len;
  let n = 0;
  for (let k = firstEndingAfter(spans, off); k < spans.length && spans[k].off < end; k++) n += Math.min(spans[k].off + spans[k].len, end) - Math.max(spans[k].off, off);
  return n;
}

/** The first byte of [off, +len) that `spans` cover, or undefined. */
export function firstCovered(spans: readonly Span[], off: number, len: number): number | undefined {
  const k = firstEndingAfter(spans, off);
  return k < spans.length && spans[k].off < off + len ? Math.max(spans[k].off, off) : undefined;
}

/**
 * `spans` with [off, +len) added (`add`) or taken out, the array to keep (copyOnWrite.ts: changed in place unless a
 * copy of the state shares it). Only the spans meeting the range are walked, joined to it or cut by it: a mapping
 * synced piece by piece has many spans, and a piece must not cost them all.
 */
export function setRange(spans: Span[], off: number, len: number, add: boolean): Span[] {
  if (len <= 0) return spans;
  const end = off + len;
  const from = firstEndingAfter(spans, off - 1); // a span ending at `off` touches the range: added, they join
  const mid: Span[] = [];
  let lo = off;
  let hi = end;
  let i = from;
  for (; i < spans.length && spans[i].off <= end; i++) {
    const s = spans[i];
    if (add) {
      lo = Math.min(lo, s.off);
      hi = Math.max(hi, s.off + s.len);
      continue;
    }
    if (s.off < off) mid.push({ off: s.off, len: off - s.off });
    if (s.off + s.len > end) mid.push({ off: end, len: s.off + s.len - end });
  }
  if (add) mid.push({ off: lo, len: hi - lo });
  return replaced(spans, from, i, mid);
}
