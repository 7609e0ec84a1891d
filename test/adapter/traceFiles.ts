// Test helpers for trace debugging: the real captures, and mutated copies of them in a temp dir.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TRACES } from '../ftrace/helpers';

export { TRACES };
export const trace = (name: string): string => path.join(TRACES, name);

/** Temp dirs made here: generated captures run to megabytes, so they go at exit. */
const made: string[] = [];
process.on('exit', () => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

/** A copy of a capture with its lines changed by `edit`, written to a fresh temp dir (removed at exit). */
export function mutated(name: string, edit: (lines: string[]) => string[], as = name): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dmabuf-trace-'));
  made.push(dir);
  const file = path.join(dir, as);
  fs.writeFileSync(file, edit(fs.readFileSync(trace(name), 'latin1').split('\n')).join('\n'), 'latin1');
  return file;
}

/** 1-based number of the first line after `from` that includes `text`. */
export function lineWith(file: string, text: string, from = 0): number {
  const lines = fs.readFileSync(file, 'latin1').split('\n');
  for (let i = from; i < lines.length; i++) if (lines[i].includes(text)) return i + 1;
  throw new Error(`no line with ${text}`);
}

/** Index of the first single unmap whose dma address a later map of the capture hands out again. */
export function reusedUnmap(lines: readonly string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const m = /dma_unmap_(?:phys|page): .*dma_addr=(\w+)/.exec(lines[i]);
    if (m && lines.some((l, k) => k > i && /dma_map_(?:phys|page):/.test(l) && l.includes(`dma_addr=${m[1]} `))) return i;
  }
  throw new Error('no unmapped address is mapped again');
}

const DEVICE = '0000:00:02.0';

/**
 * A generated capture of `events` events on four CPUs: map/unmap pairs of one device over 256 dma slots, a mark
 * every 100 pairs, a repeated (double) unmap every `bugEvery` pairs, and `liveAtEnd` maps never unmapped.
 */
export function generatedTrace(events: number, { bugEvery = 1000, liveAtEnd = 2 } = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dmabuf-trace-'));
  made.push(dir);
  const file = path.join(dir, `generated-${events}.trace`);
  const fd = fs.openSync(file, 'w');
  const lines: string[] = ['# tracer: nop', '#'];
  let count = 0;
  const emit = (k: number, body: string): void => {
    lines.push(`          worker-${100 + (k % 4)}     [00${k % 4}] .....  ${(1 + count * 1e-6).toFixed(6)}: ${body}`);
    count++;
    if (lines.length >= 10_000) fs.writeSync(fd, lines.splice(0).join('\n') + '\n');
  };
  const hex = (n: number): string => n.toString(16);
  for (let k = 0; count < events - liveAtEnd; k++) {
    const slot = k % 256;
    const dma = 0x10000000 + slot * 0x1000;
    emit(k, `dma_map_phys: ${DEVICE} dir=TO_DEVICE dma_addr=${hex(dma)} size=4096 phys_addr=${hex(0x2000000 + slot * 0x1000)} attrs=`);
    const unmap = `dma_unmap_phys: ${DEVICE} dir=TO_DEVICE dma_addr=${hex(dma)} size=4096 attrs=`;
    if (count < events - liveAtEnd) emit(k, unmap);
    if (k % bugEvery === bugEvery - 1 && count < events - liveAtEnd) emit(k, unmap);
    if (k % 100 === 99 && count < events - liveAtEnd) emit(k, `tracing_mark_write: pair ${k}`);
  }
  for (let j = 0; j < liveAtEnd; j++) emit(j, `dma_map_phys: ${DEVICE} dir=FROM_DEVICE dma_addr=${hex(0x30000000 + j * 0x1000)} size=4096 phys_addr=${hex(0x5000000 + j * 0x1000)} attrs=`);
  fs.writeSync(fd, lines.join('\n') + '\n');
  fs.closeSync(fd);
  return file;
}
