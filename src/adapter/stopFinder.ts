// Finds where a continue or reverse continue stops, by scanning the recorded run's compact records a snapshot
// segment at a time; only candidates that need the state (conditions, logpoints, value watches) are replayed.
// Stop points are ordered by key: 2*step before a step executes, 2*step+1 inside it (after its effects).
import type { Hazard } from '../machine/hazards';
import type { ChangeTrigger, BreakpointTable, StatementTrigger } from './breakpoints';
import { countAtMost } from '../sorted/search';
import { conditionHolds, interpolate } from './condition';
import type { Engine } from './engine';
import type { Recording } from './recording';
import { kindBit } from './stepStore';

export interface Stop {
  key: number;
  reason: 'breakpoint' | 'function breakpoint' | 'data breakpoint' | 'exception';
  hitBreakpointIds: number[];
  description: string;
  /** For an exception stop: the first unexpected hazard of an enabled kind. */
  hazard?: Hazard;
  /** For an owner or data stop: the buffer or watch that changed. */
  change?: ChangeTrigger;
}

export const stepOfKey = (key: number): number => Math.floor(key / 2);
export const isInside = (key: number): boolean => key % 2 === 1;

export class StopFinder {
  constructor(
    private readonly rec: Recording,
    private readonly engine: Engine,
    private readonly table: BreakpointTable,
    /** Where logpoint messages go (forward only: a reverse continue does not replay logs). */
    private readonly log: (message: string, step: number) => void,
  ) {}

  /** The first stop after `fromKey` and before `beforeKey`, or undefined. */
  forward(fromKey: number, beforeKey = Infinity): Stop | undefined {
    const last = Math.min(this.rec.length - 1, stepOfKey(beforeKey));
    for (let seg = this.rec.segmentOf(Math.max(0, stepOfKey(fromKey))); seg < this.rec.segmentCount && this.rec.segmentStart(seg) <= last; seg++) {
      const stop = this.scanSegment(seg, fromKey, beforeKey, true);
      if (stop) return stop;
    }
    return undefined;
  }

  /** The last stop before `fromKey` and after `afterKey`, or undefined. */
  backward(fromKey: number, afterKey = -1): Stop | undefined {
    const first = this.rec.segmentOf(Math.max(0, stepOfKey(afterKey)));
    for (let seg = this.rec.segmentOf(Math.max(0, stepOfKey(fromKey - 1))); seg >= first; seg--) {
      const stop = this.scanSegment(seg, afterKey, fromKey, false);
      if (stop) return stop;
    }
    return undefined;
  }

  /**
   * Candidate keys in (after, before) within one segment, evaluated in run order; returns the first stop going
   * forward or the last one going backward. Replays only inside this segment, forwards, for stateful candidates.
   */
  private scanSegment(seg: number, after: number, before: number, forward: boolean): Stop | undefined {
    const start = this.rec.segmentStart(seg);
    const end = this.rec.segmentStart(seg + 1);
    const steps = this.rec.steps;
    const changes = this.table.changeTriggers();
    let found: Stop | undefined;
    for (let q = start; q < end; q++) {
      const boundary = 2 * q;
      if (boundary > after && boundary < before) {
        const triggers = this.table.statementTriggers(steps.stmt(q));
        const stop = triggers && this.atStatement(q, triggers, forward);
        if (stop) {
          if (forward) return stop;
          found = stop;
        }
      }
      const inside = boundary + 1;
      if (inside > after && inside < before && (steps.flags(q) !== 0 || steps.unexpected(q) !== 0)) {
        const stop = this.insideStep(q, changes);
        if (stop) {
          if (forward) return stop;
          found = stop;
        }
      }
    }
    return found;
  }

  private atStatement(q: number, triggers: readonly StatementTrigger[], forward: boolean): Stop | undefined {
    const ids: number[] = [];
    let reason: Stop['reason'] = 'breakpoint';
    for (const t of triggers) {
      if (t.hit && t.matches && !t.hit(countAtMost(t.matches, q))) continue;
      if (t.condition || t.logMessage) this.rec.seek(q);
      if (t.condition && !conditionHolds(this.engine.view, t.condition)) continue;
      if (t.logMessage) {
        if (forward) this.log(interpolate(this.engine.view, t.logMessage), q);
        continue;
      }
      if (ids.length === 0) reason = t.reason;
      ids.push(t.id);
    }
    if (ids.length === 0) return undefined;
    const s = this.engine.statements[this.rec.steps.stmt(q)];
    return { key: 2 * q, reason, hitBreakpointIds: ids, description: `Paused on ${reason} at ${s.name} (line ${s.line})` };
  }

  private insideStep(q: number, changes: readonly ChangeTrigger[]): Stop | undefined {
    const kinds = this.rec.unexpectedKinds(q) & this.table.hazardMask;
    if (kinds !== 0) {
      const hazard = this.rec.hazardsOf(q).find((h) => !h.expected && (kindBit(h.kind) & kinds) !== 0);
      if (hazard) return { key: 2 * q + 1, reason: 'exception', hitBreakpointIds: [], description: `Hazard: ${hazard.kind}`, hazard };
    }
    const flags = this.rec.steps.flags(q);
    const fired = changes.filter((t) => (flags & t.flags) !== 0 && this.changed(t, q));
    if (fired.length === 0) return undefined;
    const first = fired[0];
    const what = first.watch ? first.watch.description : 'an owner';
    return {
      key: 2 * q + 1,
      reason: first.reason,
      hitBreakpointIds: [...new Set(fired.map((t) => t.id))],
      description: `${what} changed`,
      change: first,
    };
  }

  private changed(t: ChangeTrigger, q: number): boolean {
    if (t.ownerOf !== undefined && !this.rec.changedOwnerOf(q, t.ownerOf)) return false;
    if (t.hit && t.matches && !t.hit(countAtMost(t.matches, q))) return false;
    if (t.condition) {
      this.rec.seek(q + 1);
      if (!conditionHolds(this.engine.view, t.condition)) return false;
    }
    if (!t.watch || t.ownerOf !== undefined) return true;
    this.rec.seek(q);
    const before = t.watch.read();
    this.rec.seek(q + 1);
    return t.watch.read() !== before;
  }
}
