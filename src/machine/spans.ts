// Sets of byte ranges kept as sorted, disjoint, non-touching spans: what one mapping owns of its buffer. Span objects
// are never changed once made, so a copy of the state may share them.

export interface Span {
  readonly off: number;
  readonly len: number;
}

/** The parts of [off, +len) that `spans` cover (`covered`), or that they leave out. */
export function partsOf(spans: readonly Span[], off: number, len: number, covered: boolean): Span[] {
  const out: Span[] = [];
  const end = off + len;
  let pos = off;
  for (const s of spans) {
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

/** `spans` with [off, +len) added (`add`) or taken out. */
export function withRange(spans: readonly Span[], off: number, len: number, add: boolean): Span[] {
  const end = off + len;
  const pieces: Span[] = [];
  for (const s of spans) {
    if (s.off < off) pieces.push({ off: s.off, len: Math.min(s.off + s.len, off) - s.off });
    if (s.off + s.len > end) pieces.push({ off: Math.max(s.off, end), len: s.off + s.len - Math.max(s.off, end) });
  }
  if (add && len > 0) pieces.push({ off, len });
  pieces.sort((x, y) => x.off - y.off);
  const out: Span[] = [];
  for (const p of pieces) {
    const last = out[out.length - 1];
    if (last && last.off + last.len >= p.off) out[out.length - 1] = { off: last.off, len: Math.max(last.len, p.off + p.len - last.off) };
    else out.push(p);
  }
  return out;
}
