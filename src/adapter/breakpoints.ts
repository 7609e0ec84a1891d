// The breakpoints a user set, compiled against the recorded run: line and API-name breakpoints stop before a
// statement executes; owner function breakpoints, data breakpoints and hazard filters stop inside the step that
// changed the watched value or raised the hazard.
import type { DebugProtocol } from '@vscode/debugprotocol';
import { HAZARD_KINDS, isHazardKind } from '../machine/hazards';
import type { DataWatch, Engine } from './engine';
import { StepFlag, statementsOnLines } from './engine';
import type { Recording } from './recording';
import { kindBit, stepsRunning } from './stepStore';
import { quoted } from '../text/shorten';

/** Statements a trigger may match and still be listed per statement. */
const WIDE_TRIGGER = 4096;

export type HitTest = (hits: number) => boolean;

/** What a breakpoint does once matched; `hits` counts, from the start of the run, the executions it matched. */
export interface Trigger {
  id: number;
  reason: 'breakpoint' | 'function breakpoint' | 'data breakpoint';
  condition?: string;
  hit?: HitTest;
  /** Sorted steps this trigger matches, for hit counts (only when `hit` is set). */
  matches?: Uint32Array;
  logMessage?: string;
}

/** Stops before one of `stmts` executes. */
export interface StatementTrigger extends Trigger {
  stmts: ReadonlySet<number>;
}

/** Stops inside a step that changed an owner (of `ownerOf`, or of anything) or a watched value. */
export interface ChangeTrigger extends Trigger {
  flags: number;
  ownerOf?: number;
  watch?: DataWatch;
}

/** `N`, `>= N`, `> N`, `== N`, `< N`, `<= N`, `% N`; a bare N means from the Nth hit on, as js-debug reads it. */
export function parseHitCondition(text: string): HitTest | undefined {
  const m = /^\s*(>=|<=|==|>|<|%)?\s*(\d+)\s*$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[2]);
  switch (m[1]) {
    case '>':
      return (h) => h > n;
    case '==':
      return (h) => h === n;
    case '<':
      return (h) => h < n;
    case '<=':
      return (h) => h <= n;
    case '%':
      return n === 0 ? undefined : (h) => h % n === 0;
    default:
      return (h) => h >= n;
  }
}

/**
 * `dma_sync_*` style globs: `*` any run of characters, `?` one character. Matched without a RegExp, which a long
 * pattern (a 100,000-character name) would make too large to compile.
 */
export function globMatcher(pattern: string): (name: string) => boolean {
  return (name) => {
    // On a mismatch, the last `*` takes one more character of the name.
    let p = 0;
    let n = 0;
    let star = -1;
    let starAt = 0;
    while (n < name.length) {
      if (p < pattern.length && (pattern[p] === '?' || pattern[p] === name[n])) {
        p++;
        n++;
      } else if (p < pattern.length && pattern[p] === '*') {
        star = p++;
        starAt = n;
      } else if (star >= 0) {
        p = star + 1;
        n = ++starAt;
      } else return false;
    }
    while (pattern[p] === '*') p++;
    return p === pattern.length;
  };
}

/**
 * Why an entry a client sent cannot be read as a breakpoint (not an object, or its `field` of the wrong type), if
 * so: a client other than VS Code may send anything, and the entry is then refused alone.
 */
function malformed(bp: unknown, field: 'line' | 'name' | 'dataId'): string | undefined {
  if (typeof bp !== 'object' || bp === null) return `A breakpoint must be an object, not ${bp === null ? 'null' : typeof bp}`;
  const value = (bp as Record<string, unknown>)[field];
  if (field === 'line') return Number.isInteger(value) && (value as number) > 0 ? undefined : "The breakpoint's line must be a positive integer";
  return typeof value === 'string' ? undefined : notText(field);
}

const notText = (field: string): string => `The breakpoint's ${field} must be a string`;

export const HAZARD_FILTERS: DebugProtocol.ExceptionBreakpointsFilter[] = HAZARD_KINDS.map((kind) => ({
  filter: kind,
  label: `Hazard: ${kind}`,
  description: `Stop where a ${kind} hazard is raised (not those consumed by expect_hazard)`,
  default: true,
}));

export class BreakpointTable {
  private nextId = 1;
  private lineTriggers: StatementTrigger[] = [];
  private functionTriggers: StatementTrigger[] = [];
  private ownerTriggers: ChangeTrigger[] = [];
  private dataTriggers: ChangeTrigger[] = [];
  /** Bits of `kindBit` for the enabled hazard filters. */
  hazardMask = HAZARD_KINDS.reduce((m, k) => m | kindBit(k), 0);
  /** Triggers per statement id, rebuilt on every change. */
  private byStmt = new Map<number, StatementTrigger[]>();
  /** Triggers matching more statements than are worth listing (a trace's event name): asked statement by statement. */
  private wide: StatementTrigger[] = [];

  constructor(
    private readonly engine: Engine,
    private readonly rec: Recording,
  ) {}

  setLines(bps: readonly DebugProtocol.SourceBreakpoint[]): DebugProtocol.Breakpoint[] {
    this.lineTriggers = [];
    const result = bps.map((bp) => {
      const bad = malformed(bp, 'line');
      if (bad) return this.refused(bad);
      const stmts = new Set(statementsOnLines(this.engine, bp.line));
      const column = stmts.size > 0 ? this.engine.statements[[...stmts][0]].column : undefined;
      return this.add(this.lineTriggers, { reason: 'breakpoint', stmts }, bp, stmts.size > 0 ? undefined : 'No statement on this line', { line: bp.line, column });
    });
    this.reindex();
    return result;
  }

  setFunctions(bps: readonly DebugProtocol.FunctionBreakpoint[]): DebugProtocol.Breakpoint[] {
    this.functionTriggers = [];
    this.ownerTriggers = [];
    const result = bps.map((bp) => {
      const bad = malformed(bp, 'name');
      if (bad) return this.refused(bad);
      const owner = /^owner(?::(.+))?$/.exec(bp.name.trim());
      if (owner) {
        const ids = owner[1] === undefined ? [undefined] : this.engine.buffersNamed(owner[1].trim());
        const why = ids.length === 0 ? `No buffer is ever bound to ${quoted(owner[1].trim())}` : undefined;
        const dap = this.add(this.ownerTriggers, { reason: 'function breakpoint', flags: StepFlag.owner, ownerOf: ids[0] }, bp, why);
        // A name bound to several buffers over the run watches each of them under the same breakpoint id.
        for (const ownerOf of ids.slice(1)) this.ownerTriggers.push({ ...this.ownerTriggers[this.ownerTriggers.length - 1], ownerOf });
        return dap;
      }
      const stmts = this.engine.functionStatements?.(bp.name.trim()) ?? this.statementsNamed(bp.name.trim());
      return this.add(this.functionTriggers, { reason: 'function breakpoint', stmts }, bp, stmts.size > 0 ? undefined : `No call matches ${quoted(bp.name.trim())}`);
    });
    this.reindex();
    return result;
  }

  setData(bps: readonly DebugProtocol.DataBreakpoint[]): DebugProtocol.Breakpoint[] {
    this.dataTriggers = [];
    return bps.map((bp) => {
      const bad = malformed(bp, 'dataId');
      if (bad) return this.refused(bad);
      let watch;
      try {
        watch = this.engine.view.watch(bp.dataId);
      } catch (e) {
        return this.refused((e as Error).message);
      }
      // A value watch is decided by re-reading the value, so only owner watches know their hit counts up front.
      if (bp.hitCondition && watch.ownerOf === undefined) return this.refused('Hit conditions apply to owner data breakpoints only');
      return this.add(this.dataTriggers, { reason: 'data breakpoint', flags: watch.flags, ownerOf: watch.ownerOf, watch }, bp, undefined);
    });
  }

  setHazardFilters(filters: readonly string[]): void {
    this.hazardMask = filters.filter(isHazardKind).reduce((m, k) => m | kindBit(k), 0);
  }

  statementTriggers(stmt: number): readonly StatementTrigger[] | undefined {
    const listed = this.byStmt.get(stmt);
    let all: StatementTrigger[] | undefined;
    for (const t of this.wide) if (t.stmts.has(stmt)) (all ??= [...(listed ?? [])]).push(t);
    return all ?? listed;
  }

  changeTriggers(): readonly ChangeTrigger[] {
    return this.ownerTriggers.length === 0 ? this.dataTriggers : [...this.ownerTriggers, ...this.dataTriggers];
  }

  private add<T extends Trigger>(
    list: T[],
    shape: Omit<T, 'id'>,
    bp: { condition?: string; hitCondition?: string; logMessage?: string },
    unverified: string | undefined,
    where: { line?: number; column?: number } = {},
  ): DebugProtocol.Breakpoint {
    if (unverified) return this.refused(unverified, where);
    // A client other than VS Code may send anything: a field that is not text is refused here, not met later.
    const wrong = (['condition', 'hitCondition', 'logMessage'] as const).find((k) => bp[k] !== undefined && bp[k] !== null && typeof bp[k] !== 'string');
    if (wrong) return this.refused(notText(wrong), where);
    const hit = bp.hitCondition ? parseHitCondition(bp.hitCondition) : undefined;
    if (bp.hitCondition && !hit) return this.refused(`Bad hit condition: ${quoted(bp.hitCondition)}`, where);
    const id = this.nextId++;
    const trigger = { ...shape, id, condition: bp.condition || undefined, hit, logMessage: bp.logMessage || undefined } as T;
    if (hit) trigger.matches = this.matchesOf(trigger);
    list.push(trigger);
    return { id, verified: true, ...where };
  }

  private refused(message: string, where: { line?: number; column?: number } = {}): DebugProtocol.Breakpoint {
    return { id: this.nextId++, verified: false, message, ...where };
  }

  /** Steps a statement or owner trigger matches, over the whole recorded run. */
  private matchesOf(t: Trigger): Uint32Array {
    const stmts = (t as StatementTrigger).stmts;
    if (stmts) return stepsRunning(this.rec.steps, stmts);
    const change = t as ChangeTrigger;
    const steps = this.rec.steps;
    const out: number[] = [];
    for (let i = 0; i < steps.length; i++) {
      if ((steps.flags(i) & change.flags) !== 0 && (change.ownerOf === undefined || this.rec.changedOwnerOf(i, change.ownerOf))) out.push(i);
    }
    return Uint32Array.from(out);
  }

  private statementsNamed(pattern: string): Set<number> {
    const matches = globMatcher(pattern);
    const stmts = new Set<number>();
    this.engine.statements.forEach((s, id) => {
      if (matches(s.name)) stmts.add(id);
    });
    return stmts;
  }

  private reindex(): void {
    this.byStmt = new Map();
    this.wide = [];
    for (const t of [...this.lineTriggers, ...this.functionTriggers]) {
      if (t.stmts.size > WIDE_TRIGGER) {
        this.wide.push(t);
        continue;
      }
      for (const s of t.stmts) {
        const list = this.byStmt.get(s);
        if (list) list.push(t);
        else this.byStmt.set(s, [t]);
      }
    }
  }
}
