// Numbers for the byte spans a trace repeats (device names, attrs): a direct-mapped cache from a span's hash to
// its index in `strings`, so that the fast path names a device without making a string per line.

import { sameBytes } from './chars';

const SLOTS = 1024;

export class ByteInterner {
  /** Every distinct span seen, by index. */
  readonly strings: string[] = [];
  private readonly slots = new Int32Array(SLOTS).fill(-1);
  /** The bytes of each string, for comparing a span with it without decoding. */
  private readonly bytes: Uint8Array[] = [];
  private readonly index = new Map<string, number>();

  /** The index of the text b[from, to). */
  id(b: Uint8Array, from: number, to: number): number {
    const n = to - from;
    // Length, first byte and up to eight last ones: what tells a trace's device names apart (they differ near their end).
    let h = n * 31 + (n > 0 ? b[from] : 0);
    for (let i = Math.max(from + 1, to - 8); i < to; i++) h = (h * 31 + b[i]) | 0;
    const slot = h & (SLOTS - 1);
    const hit = this.slots[slot];
    if (hit >= 0) {
      const known = this.bytes[hit];
      if (known.length === n && sameBytes(known, b, from)) return hit;
    }
    // A collision or a new text: the map keeps one index per text whatever the slots hold.
    const text = Buffer.from(b.buffer, b.byteOffset + from, n).toString('latin1');
    let id = this.index.get(text);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(text);
      this.bytes.push(Uint8Array.from(b.subarray(from, to)));
      this.index.set(text, id);
    }
    this.slots[slot] = id;
    return id;
  }
}
