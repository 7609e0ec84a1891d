// Turns a span of the read buffer into a string without allocating one per line: event names, devices,
// directions and attrs repeat on almost every line, so a small direct-mapped cache hands back the same string,
// whose hash V8 then keeps (cheap Map and Set lookups), and which never pins the read buffer it came from.

const SLOTS = 1024;

/** Whether s[from, from + a.length) is `a`: a loop the JIT inlines, cheaper than a builtin call for short names. */
function same(a: string, s: string, from: number): boolean {
  for (let i = 0; i < a.length; i++) if (a.charCodeAt(i) !== s.charCodeAt(from + i)) return false;
  return true;
}

export class Interner {
  private readonly table: string[] = new Array<string>(SLOTS).fill('');

  /** The text s[from, to), the same string object as last time this text was asked for (unless evicted). */
  get(s: string, from: number, to: number): string {
    const n = to - from;
    // The length, first character and up to eight last ones tell apart the names a trace repeats (device
    // names differ near their end); a collision only costs a fresh copy.
    let h = n * 31 + (n > 0 ? s.charCodeAt(from) : 0);
    for (let i = Math.max(from + 1, to - 8); i < to; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
    const slot = h & (SLOTS - 1);
    const hit = this.table[slot];
    if (hit.length === n && same(hit, s, from)) return hit;
    // A copy, not a slice: a sliced string would keep the whole read buffer alive.
    const fresh = Buffer.from(s.slice(from, to), 'latin1').toString('latin1');
    this.table[slot] = fresh;
    return fresh;
  }
}
