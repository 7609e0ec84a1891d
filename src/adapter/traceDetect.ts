// Whether a launch's `program` is a kernel trace: a `.trace` file, or a `.txt` whose first lines look like ftrace's
// output (the `# tracer:` header, the `TASK-PID` column header, or an event line), so other text files stay scenarios.
import * as fs from 'fs';
import { parseLine } from '../ftrace/lineParser';

/** Bytes looked at: the ftrace header is about a dozen short lines. */
export const HEAD_BYTES = 4096;
const HEAD_LINES = 20;

export function looksLikeTraceText(head: string): boolean {
  const lines = head.replace(/^\xef\xbb\xbf/, '').split('\n').slice(0, HEAD_LINES);
  for (const [i, raw] of lines.entries()) {
    const line = raw.replace(/\r$/, '');
    if (/^#\s*(tracer:|TASK-PID\b)/.test(line)) return true;
    if (line.trim() === '' || line.startsWith('#')) continue;
    const kind = parseLine(line, 0, line.length, i + 1, 0)?.kind;
    // trace-cmd's report opens with `cpus=N` before its events.
    if (kind !== 'header') return kind === 'event';
  }
  return false;
}

export function isTraceProgram(file: string): boolean {
  if (file.endsWith('.trace')) return true;
  if (!file.endsWith('.txt')) return false;
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(HEAD_BYTES);
    const n = fs.readSync(fd, buf, 0, HEAD_BYTES, 0);
    return looksLikeTraceText(buf.toString('latin1', 0, n));
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
