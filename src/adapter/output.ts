// What the Debug Console shows as the run advances: each statement's machine events as one collapsed group,
// and each hazard as a warning at its location with the statements that set it up.
import type { Hazard } from '../machine/hazards';
import type { KernelEvent, StatementInfo } from './engine';

export interface ConsoleLine {
  category: 'console' | 'stdout' | 'stderr' | 'important';
  output: string;
  group?: 'startCollapsed' | 'end';
  /** Where the line points in the scenario file. */
  line?: number;
  column?: number;
}

/** At most this many statements are printed per motion; longer stretches are summarised. */
export const OUTPUT_WINDOW = 200;

export function statementLines(step: number, s: StatementInfo, events: readonly KernelEvent[]): ConsoleLine[] {
  const head: ConsoleLine = { category: 'console', output: `[${step + 1}] line ${s.line}: ${s.text}\n`, line: s.line, column: s.column };
  if (events.length === 0) return [{ ...head }];
  const out: ConsoleLine[] = [{ ...head, group: 'startCollapsed' }];
  let depth = 0;
  for (const e of events) {
    if (e.kind === 'return') {
      depth = Math.max(0, depth - 1);
      continue;
    }
    const indent = '  '.repeat(depth);
    out.push({ category: 'console', output: `${indent}${e.kind === 'call' ? `-> ${e.fn}${e.text ? ` (${e.text})` : ''}` : e.text}\n` });
    if (e.kind === 'call') depth++;
  }
  out.push({ category: 'console', output: '', group: 'end' });
  return out;
}

export function hazardLines(file: string, h: Hazard): ConsoleLine {
  const related = h.related.map((r) => `\n    ${file}:${r.loc.line}:${r.loc.column}: note: ${r.message}`).join('');
  const expected = h.expected ? ' (expected)' : '';
  return {
    category: 'stderr',
    output: `${file}:${h.loc.line}:${h.loc.column}: warning: ${h.kind}${expected}: ${h.message}${related}\n`,
    line: h.loc.line,
    column: h.loc.column,
  };
}

/** Hazards of the skipped statements are still printed, each as its own warning. */
export function skippedLine(count: number): ConsoleLine {
  return { category: 'console', output: `... the events of ${count} earlier statement(s) are not shown\n` };
}
