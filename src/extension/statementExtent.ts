// Where a statement's text lies on its line, so that a hazard reported at a line and column underlines the whole
// statement and not its trailing comment.

/** 0-based [start, end) of the statement that starts at a 1-based column of a line. */
export function statementExtent(line: string, column: number): { start: number; end: number } {
  const code = line.replace(/#.*$/, '').trimEnd();
  const start = Math.min(Math.max(column - 1, 0), code.length);
  const firstChar = code.length - code.trimStart().length;
  const from = start < code.length ? start : firstChar;
  return { start: from, end: Math.max(code.length, from) };
}
