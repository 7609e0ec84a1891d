// A small engine for unit tests of the recording and navigation: a program of numbered statements with
// optional procs (depth), owner changes, hazards and kernel events, and a counter as its whole state.
import type { Hazard, HazardKind } from '../../src/machine/hazards';
import type { Engine, KernelEvent, StateView, StatementInfo, StepDetail, StepRecord, ValueNode } from '../../src/adapter/engine';
import { StepFlag } from '../../src/adapter/engine';

/** One executed step of the fake run. */
export interface FakeStep {
  stmt: number;
  depth?: number;
  thread?: number;
  /** Buffer whose owner this step changes (owner becomes `owner`). */
  owner?: { buffer: number; to: string };
  hazard?: HazardKind;
  expected?: boolean;
  events?: KernelEvent[];
}

interface FakeState {
  pos: number;
  owners: Map<number, string>;
  hazards: Hazard[];
}

export class FakeEngine implements Engine<FakeState> {
  readonly path = '/fake/scenario.dmabuf';
  readonly threadNames = ['cpu', 'isp'];
  private state: FakeState = { pos: 0, owners: new Map(), hazards: [] };
  stepsExecuted = 0;

  constructor(
    readonly statements: StatementInfo[],
    private readonly run: FakeStep[],
  ) {}

  get position(): number {
    return this.state.pos;
  }

  get done(): boolean {
    return this.state.pos >= this.run.length;
  }

  readonly endReason = 'end' as const;

  frames() {
    const s = this.run[this.state.pos];
    if (!s) return [];
    const st = this.statements[s.stmt];
    return Array.from({ length: s.depth ?? 1 }, (_, k) => ({ name: k === 0 ? `frame${s.depth ?? 1}` : 'main', line: st.line, column: 1 }));
  }

  step(): { record: StepRecord; detail: StepDetail } {
    const s = this.run[this.state.pos];
    this.stepsExecuted++;
    this.state.pos++;
    let flags = 0;
    const owners: number[] = [];
    if (s.owner) {
      this.state.owners.set(s.owner.buffer, s.owner.to);
      flags |= StepFlag.owner | StepFlag.bytes;
      owners.push(s.owner.buffer);
    }
    const hazards: Hazard[] = [];
    if (s.hazard) {
      const h: Hazard = { kind: s.hazard, loc: { line: this.statements[s.stmt].line, column: 1 }, message: `${s.hazard} here`, related: [], expected: s.expected };
      hazards.push(h);
      this.state.hazards.push(h);
      flags |= StepFlag.hazard;
    }
    const events: KernelEvent[] = s.events ?? (s.owner ? [{ kind: 'effect', text: `owner -> ${s.owner.to}`, flags: StepFlag.owner, buffer: s.owner.buffer }] : []);
    return { record: { stmt: s.stmt, thread: s.thread ?? 0, depth: s.depth ?? 1, flags, owners }, detail: { events, hazards } };
  }

  hazards(): Hazard[] {
    return this.state.hazards;
  }

  buffersNamed(name: string): number[] {
    return name === 'buf' ? [7] : [];
  }

  snapshot(): FakeState {
    return { pos: this.state.pos, owners: new Map(this.state.owners), hazards: this.state.hazards.slice() };
  }

  restore(s: FakeState): void {
    this.state = { pos: s.pos, owners: new Map(s.owners), hazards: s.hazards.slice() };
  }

  readonly view: StateView = {
    scopes: () => [],
    evaluate: (expr: string): ValueNode => {
      if (expr === 'pos') return { name: 'pos', value: String(this.state.pos) };
      const m = /^owner(\d+)$/.exec(expr);
      if (m) return { name: expr, value: this.state.owners.get(Number(m[1])) ?? 'none' };
      throw new Error(`unknown ${expr}`);
    },
    readMemory: () => undefined,
    watch: (dataId: string) => {
      const m = /^owner:(\d+)$/.exec(dataId);
      if (!m) throw new Error(`Unknown data: '${dataId}'`);
      const id = Number(m[1]);
      return { description: `owner of #${id}`, flags: StepFlag.owner, ownerOf: id, read: () => this.state.owners.get(id) ?? 'none' };
    },
  };
}

/** Statements 0..n-1, one per line starting at line 1. */
export function statementsOf(names: string[]): StatementInfo[] {
  return names.map((name, i) => ({ line: i + 1, column: 1, endColumn: name.length + 3, name, text: `${name}()` }));
}
