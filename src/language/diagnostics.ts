// Errors found in a scenario before it runs (spec §2), and their `FILE:LINE:COL: error: MESSAGE` form.
import type { Span } from './ast';

export interface Diagnostic {
  file: string;
  /** 1-based, as editors count. */
  line: number;
  column: number;
  /** Exclusive end. */
  endLine: number;
  endColumn: number;
  severity: 'error' | 'warning';
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`;
}

/** Source text longer than this is cut where a message repeats it, to its first CUT_KEPT characters and `…`. */
const CUT_PAST = 60;
const CUT_KEPT = 40;

/** A name or number as a message repeats it: a 20 MB number or a 100 KB name makes a short message. */
export function cut(text: string): string {
  return text.length <= CUT_PAST ? text : `${text.slice(0, CUT_KEPT)}…`;
}

/** Source text as a message quotes it, cut when long, with its length then. */
export function quoted(text: string): string {
  return text.length <= CUT_PAST ? `'${text}'` : `'${cut(text)}' (${text.length} characters)`;
}

/** Any other name or number a message repeats (a proc's usage, an owner): cut too, without its length. */
const LONG_WORD = new RegExp(`[A-Za-z0-9_]{${CUT_PAST + 1},}`, 'g');

/** Collects the errors of one file; every phase reports into the same list. */
export class DiagnosticList {
  readonly items: Diagnostic[] = [];

  constructor(readonly file: string) {}

  error(span: Span, message: string): void {
    this.items.push({
      file: this.file,
      line: span.start.line,
      column: span.start.column,
      endLine: span.end.line,
      endColumn: span.end.column,
      severity: 'error',
      message: message.replace(LONG_WORD, cut),
    });
  }

  /** In source order, so a reader meets them top to bottom whatever phase found them. */
  sorted(): Diagnostic[] {
    return this.items.slice().sort((a, b) => a.line - b.line || a.column - b.column);
  }
}
