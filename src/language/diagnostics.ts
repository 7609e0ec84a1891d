// Errors found in a scenario before it runs (spec §2), and their `FILE:LINE:COL: error: MESSAGE` form.
import type { Span } from './ast';
import { cutLongWords } from '../text/shorten';

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
      message: cutLongWords(message),
    });
  }

  /** In source order, so a reader meets them top to bottom whatever phase found them. */
  sorted(): Diagnostic[] {
    return this.items.slice().sort((a, b) => a.line - b.line || a.column - b.column);
  }
}
