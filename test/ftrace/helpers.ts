// Shared helpers of the ftrace tests: where the real captures are, synthetic trace lines, and running the checker
// over text or over a mutated copy of a capture in a temp dir.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { checkTrace, type TraceReport } from '../../src/ftrace/check';
import type { CheckOptions } from '../../src/ftrace/checker';
import { isBug, type TraceFinding } from '../../src/ftrace/findings';
import { TraceCursor } from '../../src/ftrace/reader';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const TRACES = path.resolve(REPO, '..', 'shared', 'traces');

export function captures(): string[] {
  return fs.readdirSync(TRACES).filter((f) => f.endsWith('.trace.txt')).sort();
}

export function captureLines(name: string): string[] {
  const lines = fs.readFileSync(path.join(TRACES, name), 'latin1').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** A line as `/sys/kernel/tracing/trace` prints it. */
export function ev(ts: number, event: string, body: string, task = 'kworker/0:1-42', cpu = 0, flags = '.....'): string {
  return `${task.padStart(16)} [${String(cpu).padStart(3, '0')}] ${flags} ${ts.toFixed(6).padStart(12)}: ${event}: ${body}`;
}

export function checkText(text: string, options: CheckOptions = {}): TraceReport {
  return checkTrace(TraceCursor.fromText(text), 'test.trace', options);
}

export function checkLines(lines: string[], options: CheckOptions = {}): TraceReport {
  return checkText(lines.join('\n') + '\n', options);
}

export function bugs(r: TraceReport): TraceFinding[] {
  return r.findings.filter(isBug);
}

/** `kind/detail@line` of each finding that is not window information, for exact comparisons. */
export function bugKeys(r: TraceReport): string[] {
  return bugs(r).map((f) => `${f.kind}/${f.detail}@${f.line}`);
}

/** Writes `lines` as a file in a fresh temp dir and returns its path. */
export function tempTrace(lines: string[], name = 'mutated.trace.txt'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftrace-test-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.join('\n') + '\n', 'latin1');
  return file;
}

/**
 * A capture of about `mb` MiB in a fresh temp dir: `name`'s events repeated as they are (the same addresses again:
 * for what must take a while, not for the checks' figures). Returns its path.
 */
export function repeatedCapture(name: string, mb: number): string {
  const lines = captureLines(name);
  const body = lines.filter((l) => !l.startsWith('#')).join('\n') + '\n';
  const file = tempTrace(lines.filter((l) => l.startsWith('#')), 'repeated.trace.txt');
  fs.appendFileSync(file, body.repeat(Math.ceil((mb * 2 ** 20) / body.length)), 'latin1');
  return file;
}

/** 1-based number of the first line at or after `from` (1-based) that matches. */
export function findLine(lines: string[], test: (l: string) => boolean, from = 1): number {
  for (let i = from - 1; i < lines.length; i++) if (test(lines[i])) return i + 1;
  throw new Error('no such line');
}

/** A field's text in a trace line. */
export function fieldOf(line: string, key: string): string {
  const m = new RegExp(`\\b${key}=(\\S+)`).exec(line);
  if (!m) throw new Error(`no ${key}= in ${line}`);
  return m[1];
}
