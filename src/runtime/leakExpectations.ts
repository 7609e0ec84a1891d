// `expect_hazard(leak)`: a leak is found only at the end of the run, and reported at the statement that made what
// leaked (spec §8), so an expect_hazard(leak) right after that statement cannot judge it when it runs. It is kept
// until the end instead, with the object ids that run of the statement made (ids count up as objects are made: a
// proc call's or a loop's run made every id between its start and its end), and then expects the leaks of those
// objects, of that run only.
import type { Hazard, Loc } from '../machine/hazards';
import { firstAtLeast } from '../sorted/search';

/**
 * The expect_hazard(leak)s run so far, newest first: a list never changed in place, so that a runner's snapshots
 * share it. A run of one expect_hazard right after its own last run (a loop) extends that entry's ids, so a loop
 * holds one entry, not one per pass.
 */
export type LeakExpectations = LeakExpectation | undefined;

interface LeakExpectation {
  /** The expect_hazard(leak) itself. */
  readonly at: Loc;
  /** The ids [from, to) the statement it judges made. */
  readonly from: number;
  readonly to: number;
  readonly next: LeakExpectations;
}

const sameLoc = (a: Loc, b: Loc): boolean => a.line === b.line && a.column === b.column;

/** `list` with the expect_hazard(leak) at `at`, judging a run that made ids [from, to). */
export function expectLeaks(list: LeakExpectations, at: Loc, from: number, to: number): LeakExpectations {
  if (list && sameLoc(list.at, at) && list.to === from) return { at: list.at, from: list.from, to, next: list.next };
  return { at, from, to, next: list };
}

/**
 * Judges `list` against the leaks of `hazards` from `from` on (the end-of-run check's): each leak of an object an
 * expectation's run made is marked expected in place; returns the indices so marked, and an expect-failed hazard
 * for each expect_hazard(leak) none of whose runs made anything still live.
 */
export function judgeLeaks(list: LeakExpectations, hazards: Hazard[], from: number): { marked: number[]; failed: Hazard[] } {
  // The leaks by the id of what leaked: each run finds its own by a binary search (a proc call's run holds the runs
  // of the statements inside it, so runs may nest).
  const leaks: number[] = [];
  for (let i = from; i < hazards.length; i++) if (hazards[i].kind === 'leak' && hazards[i].object !== undefined) leaks.push(i);
  const id = (k: number): number => hazards[leaks[k]].object!;
  leaks.sort((a, b) => hazards[a].object! - hazards[b].object!);
  const held = new Set<string>();
  const marked: number[] = [];
  for (let e = list; e; e = e.next) {
    const k0 = firstAtLeast(leaks.length, id, e.from);
    if (k0 < leaks.length && id(k0) < e.to) held.add(key(e.at));
    for (let k = k0; k < leaks.length && id(k) < e.to; k++) {
      const h = hazards[leaks[k]];
      if (h.expected) continue;
      hazards[leaks[k]] = { ...h, expected: true };
      marked.push(leaks[k]);
    }
  }
  const failed: Hazard[] = [];
  const all: Loc[] = [];
  for (let e = list; e; e = e.next) all.push(e.at);
  for (const at of all.reverse()) {
    const k = key(at);
    if (held.has(k)) continue;
    held.add(k);
    failed.push({ kind: 'expect-failed', loc: at, message: 'expect_hazard(leak): nothing the statement before made is still live at the end of the run (it raised no leak)', related: [] });
  }
  return { marked: marked.sort((a, b) => a - b), failed };
}

const key = (at: Loc): string => `${at.line}:${at.column}`;
