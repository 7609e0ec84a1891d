// Breakpoint conditions and logpoint messages, evaluated with the same paths as the Watch view: `buf.owner == cpu`,
// `sgt.nents > 1`, `iteration == 3`, or a bare path that holds when it is neither 0, none nor false.
import type { StateView } from './engine';

const COMPARISON = /^(.+?)\s*(==|!=|<=|>=|<|>)\s*(.+)$/;

/** A path's one-line value, or the text itself when it names nothing (a literal such as `cpu` or `0x40`). */
function valueOf(view: StateView, text: string, frame: number): string {
  // A number is a literal, even where the view would read it as an address (a trace's hover).
  if (asNumber(text.trim()) !== undefined) return text.trim();
  try {
    return view.evaluate(text, frame).value;
  } catch {
    return text.trim();
  }
}

function asNumber(s: string): number | undefined {
  const t = s.replace(/_/g, '');
  return /^(0x[0-9a-f]+|\d+)$/i.test(t) ? Number(t) : undefined;
}

/** Whether the condition holds in the current state; a condition that cannot be evaluated holds, so the user sees why. */
export function conditionHolds(view: StateView, condition: string, frame = 0): boolean {
  const m = COMPARISON.exec(condition.trim());
  if (!m) {
    let v: string;
    try {
      v = view.evaluate(condition, frame).value;
    } catch {
      return true;
    }
    return !['0', 'none', 'false', 'undefined', ''].includes(v);
  }
  const left = valueOf(view, m[1], frame);
  const right = valueOf(view, m[3], frame);
  const [a, b] = [asNumber(left), asNumber(right)];
  const cmp = a !== undefined && b !== undefined ? a - b : left.localeCompare(right);
  switch (m[2]) {
    case '==':
      return cmp === 0;
    case '!=':
      return cmp !== 0;
    case '<':
      return cmp < 0;
    case '<=':
      return cmp <= 0;
    case '>':
      return cmp > 0;
    default:
      return cmp >= 0;
  }
}

/** A logpoint's message with each `{path}` replaced by its value. */
export function interpolate(view: StateView, message: string, frame = 0): string {
  return message.replace(/\{([^{}]+)\}/g, (_, expr: string) => {
    try {
      return view.evaluate(expr, frame).value;
    } catch (e) {
      return `<${(e as Error).message}>`;
    }
  });
}
