// A buffer's bytes as the CPU would read them now (cached lines over memory, for a cacheable buffer) or as
// memory holds them, computed from runs without touching the cache: peeking has no side effects.
import { bufferPieces } from '../machine/buffers';
import { cacheView } from '../machine/cache';
import { readRuns } from '../machine/memory';
import { pushRun, zipRuns, type DataRun } from '../machine/runs';
import type { Buffer, MachineState } from '../machine/state';

/** Bytes [off, +len) of `b`; `throughCache` false gives memory's own bytes. */
export function cpuRuns(s: MachineState, b: Buffer, off: number, len: number, throughCache = true): DataRun[] {
  const out: DataRun[] = [];
  for (const p of bufferPieces(b, off, len)) {
    const memory = readRuns(s.mem, p.phys, p.len);
    if (!throughCache || !b.cacheable) {
      for (const r of memory) pushRun(out, r);
      continue;
    }
    zipRuns([cacheView(s, p.phys, p.len), memory], (_pos, n, [cached, mem]) => pushRun(out, { len: n, value: (cached.seq === -1 ? mem : cached).value, seq: (cached.seq === -1 ? mem : cached).seq }));
  }
  return out;
}

const byteHex = (v: number): string => v.toString(16).padStart(2, '0');

/** The first bytes as hex pairs, runs of one value written once: `a5 x16` style. */
export function previewOf(runs: readonly DataRun[]): string {
  if (runs.length === 0) return '(empty)';
  return runs.slice(0, 8).map((r) => (r.len === 1 ? byteHex(r.value) : `${byteHex(r.value)} x${r.len}`)).join(' ') + (runs.length > 8 ? ' ...' : '');
}

/** Expands runs into bytes: only for readMemory, whose count the client bounds. */
export function bytesOf(runs: readonly DataRun[], count: number): Uint8Array {
  const out = new Uint8Array(count);
  let pos = 0;
  for (const r of runs) {
    if (pos >= count) break;
    out.fill(r.value, pos, Math.min(count, pos + r.len));
    pos += r.len;
  }
  return out;
}

/** A comparable text of the values (not the write numbers) of some runs: what a bytes data breakpoint watches. */
export function valuesKey(runs: readonly DataRun[]): string {
  const parts: string[] = [];
  let last: { len: number; value: number } | undefined;
  for (const r of runs) {
    if (last && last.value === r.value) last.len += r.len;
    else {
      if (last) parts.push(`${last.len}:${last.value}`);
      last = { len: r.len, value: r.value };
    }
  }
  if (last) parts.push(`${last.len}:${last.value}`);
  return parts.join(',');
}
