// Finds the debugger expression under the mouse (`buf`, `buf.owner`, `sgt[2]`, `sgt[2].dma_address`): the path from
// its first name up to the part hovered, with that part's indexes, so a hover evaluates what the user points at.

/** A name followed by indexes, then `.member` parts with their own indexes. */
const PATH = /[A-Za-z_][A-Za-z0-9_]*(?:\[[^\][\s]*\])*(?:\.[A-Za-z_][A-Za-z0-9_]*(?:\[[^\][\s]*\])*)*/g;
const PART = /\.?[A-Za-z_][A-Za-z0-9_]*(?:\[[^\][\s]*\])*/g;

export interface ExpressionAt {
  expression: string;
  /** The path's first name: the binding the expression starts from. */
  base: string;
  /** 0-based columns of the expression on its line, end exclusive. */
  start: number;
  end: number;
}

/** The expression at a 0-based column of a line, if the column is on a path. */
export function expressionAt(line: string, column: number): ExpressionAt | undefined {
  for (const m of line.matchAll(PATH)) {
    const start = m.index;
    if (column < start || column >= start + m[0].length) continue;
    for (const part of m[0].matchAll(PART)) {
      const end = start + part.index + part[0].length;
      if (column < end) {
        const expression = line.slice(start, end);
        return { expression, base: /^[A-Za-z_][A-Za-z0-9_]*/.exec(expression)![0], start, end };
      }
    }
  }
  return undefined;
}
