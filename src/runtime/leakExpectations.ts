// `expect_hazard(leak)`: a leak is found only at the end of the run, and reported at the statement that made what
// leaked (spec §8), so an expect_hazard(leak) right after that statement cannot judge it when it runs. It is kept
// until the end instead, with where the statement before it lies in the source (a proc call: the procs it reaches;
// a repeat: its body and the procs that reaches), and then expects every leak reported there.
import type { CallStmt, Pos, ProcDecl, Span, Stmt } from '../language/ast';
import type { Hazard, Loc } from '../machine/hazards';

export interface LeakExpectation {
  /** The expect_hazard(leak) itself. */
  readonly at: Loc;
  /** Where what it expects to leak was made. */
  readonly within: readonly Span[];
}

/** The source a leak made by `stmt`, once run, is reported in: its own span, and the bodies of the procs it reaches. */
export function leakSpans(stmt: Stmt, procs: ReadonlyMap<string, ProcDecl>): Span[] {
  const spans: Span[] = [stmt.span];
  const seen = new Set<string>();
  const visit = (body: readonly Stmt[]): void => {
    for (const s of body) {
      if (s.kind === 'repeat') visit(s.body);
      else if (s.kind === 'call') reach(s);
    }
  };
  const reach = (s: CallStmt): void => {
    const name = s.resolved?.op === 'proc' ? (s.resolved.args.proc as { name: string }).name : undefined;
    const proc = name === undefined || seen.has(name) ? undefined : procs.get(name);
    if (!proc) return;
    seen.add(proc.name);
    spans.push(proc.span);
    visit(proc.body);
  };
  if (stmt.kind === 'repeat') visit(stmt.body);
  else if (stmt.kind === 'call') reach(stmt);
  return spans;
}

const before = (a: Pos, b: Pos): boolean => a.line < b.line || (a.line === b.line && a.column < b.column);

function inside(loc: Loc, spans: readonly Span[]): boolean {
  return spans.some((s) => !before(loc, s.start) && before(loc, s.end));
}

/**
 * Judges `pending` against the leaks of `hazards` from `from` on (the end-of-run check's): each leak one of them
 * expects is marked expected in place; returns the indices so marked, and an expect-failed hazard for each
 * expectation that found none.
 */
export function judgeLeaks(pending: readonly LeakExpectation[], hazards: Hazard[], from: number): { marked: number[]; failed: Hazard[] } {
  const marked: number[] = [];
  const failed: Hazard[] = [];
  for (const p of pending) {
    let found = 0;
    for (let i = from; i < hazards.length; i++) {
      const h = hazards[i];
      if (h.kind !== 'leak' || !inside(h.loc, p.within)) continue;
      found++;
      if (h.expected) continue;
      hazards[i] = { ...h, expected: true };
      marked.push(i);
    }
    if (found === 0) {
      failed.push({ kind: 'expect-failed', loc: p.at, message: 'expect_hazard(leak): nothing the statement before made is still live at the end of the run (it raised no leak)', related: [] });
    }
  }
  return { marked, failed };
}
