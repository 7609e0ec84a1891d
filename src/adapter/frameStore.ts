// The call stacks the session shows, as DAP frames and sources, and the handles they hand out: a frame id stands for
// a scenario frame (scopes and evaluate name it) until the next stop; a source reference stands for the kernel's text
// of one step (its `dma_*` calls, which have no file) for the whole run.
import * as path from 'path';
import { Source, StackFrame } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { stepName, wordsOf, type Engine } from './engine';
import { ErrorCode, RequestError } from './errors';
import type { Navigator } from './navigator';
import type { Recording } from './recording';
import { cut } from '../text/shorten';

/** What the frames are made of: the run's program, its recorded steps and where the debugger stands. */
export interface RunView {
  engine: Engine;
  rec: Recording;
  nav: Navigator;
}

/** The client's numbering of lines and columns and its form of paths (the session's conversions). */
export interface ClientForm {
  line(line: number): number;
  column(column: number): number;
  path(file: string): string;
}

export class FrameStore {
  /** Frame ids of the current stop: the scenario frame each stands for (0 = innermost). */
  private readonly scenarioOfFrame = new Map<number, number>();
  private nextFrameId = 1;
  /** Source references of the kernel's texts and the steps they stand for, both ways. */
  private readonly stepOfRef = new Map<number, number>();
  private readonly refOfStep = new Map<number, number>();

  constructor(private readonly client: ClientForm) {}

  /** Forgets the frame ids: the debugger stopped elsewhere. */
  newStop(): void {
    this.scenarioOfFrame.clear();
  }

  /** Forgets every handle: a new run. */
  newRun(): void {
    this.scenarioOfFrame.clear();
    this.stepOfRef.clear();
    this.refOfStep.clear();
  }

  /** The stack of the thread that stopped: the kernel's frames of the step it is inside, then the scenario's. */
  current(run: RunView): StackFrame[] {
    const nav = run.nav;
    const out: StackFrame[] = [];
    if (nav.inside && nav.cursor.event >= 0) {
      const i = nav.step;
      const s = run.engine.statements[run.rec.steps.stmt(i)];
      const source = this.kernelSource(run.engine, i, s.name);
      for (const f of nav.kernel(i).frames(nav.cursor.event, s.name)) out.push(this.frame(0, f.name, source, f.line, 1));
    }
    const program = this.programSource(run.engine);
    const scenario = nav.scenarioFrames();
    scenario.forEach((f, k) => out.push(this.frame(k, f.name, program, f.line, f.column)));
    if (scenario.length === 0) {
      const last = run.rec.length > 0 ? run.engine.statements[run.rec.steps.stmt(run.rec.length - 1)] : undefined;
      out.push(this.frame(0, `end of ${wordsOf(run.engine).program}`, program, last?.line ?? 1, last?.column ?? 1));
    }
    return out;
  }

  /** Another thread's stack: where it last ran, as one frame. */
  idle(run: RunView, thread: number): StackFrame[] {
    const i = run.nav.lastStepOf(thread);
    if (i === undefined) return [];
    const s = run.engine.statements[run.rec.steps.stmt(i)];
    return [this.frame(0, `${run.engine.threadNames[thread]}: last ran ${s.name} (${stepName(run.engine, i)})`, this.programSource(run.engine), s.line, s.column)];
  }

  /** The scenario frame a frame id stands for (none given: the innermost); an unknown id is a bad request. */
  scenarioFrame(frameId: number | undefined): number {
    if (frameId === undefined) return 0;
    const f = this.scenarioOfFrame.get(frameId);
    if (f === undefined) throw new RequestError(ErrorCode.unknownReference, `No frame ${cut(String(frameId))}`);
    return f;
  }

  /** The step whose kernel text a source reference stands for, if it stands for one. */
  stepOf(sourceReference: number): number | undefined {
    return this.stepOfRef.get(sourceReference);
  }

  /** The program's file, as the client names it. */
  programSource(engine: Engine): Source {
    return new Source(path.basename(engine.path), this.client.path(engine.path));
  }

  private frame(scenarioIndex: number, name: string, source: Source, line: number, column: number): StackFrame {
    const id = this.nextFrameId++;
    this.scenarioOfFrame.set(id, scenarioIndex);
    return new StackFrame(id, name, source, this.client.line(line), this.client.column(column));
  }

  private kernelSource(engine: Engine, step: number, name: string): Source {
    let ref = this.refOfStep.get(step);
    if (ref === undefined) {
      ref = this.stepOfRef.size + 1;
      this.stepOfRef.set(ref, step);
      this.refOfStep.set(step, ref);
    }
    const kernel = wordsOf(engine).kernel;
    const source = new Source(`${name} (${kernel}, ${stepName(engine, step)})`, undefined, ref, kernel) as DebugProtocol.Source;
    source.presentationHint = 'deemphasize';
    return source as Source;
  }
}
