// Test helpers for trace debugging: the real captures, and mutated copies of them in a temp dir.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../../..');
export const TRACES = path.resolve(ROOT, '..', 'shared', 'traces');
export const trace = (name: string): string => path.join(TRACES, name);

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
