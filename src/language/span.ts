// Source spans as one small object each rather than three: a million-statement scenario holds millions of them.
import type { Pos, Span } from './ast';

/** A `Span` whose `start` and `end` are built on access; JSON shows them as plain `{ start, end }`. */
export class SourceSpan implements Span {
  constructor(readonly line: number, readonly column: number, readonly endLine: number, readonly endColumn: number) {}

  get start(): Pos {
    return { line: this.line, column: this.column };
  }

  get end(): Pos {
    return { line: this.endLine, column: this.endColumn };
  }

  toJSON(): { start: Pos; end: Pos } {
    return { start: this.start, end: this.end };
  }
}

/** Anything that can say where it was written (an argument, a callee); asked only to report an error. */
export interface Spanned {
  readonly span: Span;
}

/** The line a span starts on, without building its `start`. */
export function startLine(span: Span): number {
  return span instanceof SourceSpan ? span.line : span.start.line;
}

/** From the start of `a` to the end of `b`. */
export function spanFrom(a: SourceSpan, b: SourceSpan): SourceSpan {
  return new SourceSpan(a.line, a.column, b.endLine, b.endColumn);
}
