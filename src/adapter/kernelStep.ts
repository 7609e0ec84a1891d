// One API call seen from inside the modeled kernel: its call/return events become frames, and a read-only
// virtual source lists what the kernel did, one line per call or effect, so that stepping moves through them.
import * as path from 'path';
import { SCENARIO_WORDS, type KernelEvent, type StatementInfo } from './engine';

export interface KernelFrame {
  name: string;
  /** Line in the virtual source. */
  line: number;
}

/** Lines of the virtual source before the first event: the statement and a blank line. */
const HEADER_LINES = 2;

export class KernelStep {
  /** Indexes into events of the calls and effects, the places a step can stand (returns are not). */
  readonly stops: number[] = [];
  private readonly depthOf: number[] = [];
  /** The innermost call open at each event (-1 at the top level). */
  private readonly parentOf: number[] = [];
  readonly text: string;

  constructor(
    readonly events: readonly KernelEvent[],
    statement: StatementInfo,
    file: string,
    narrative = SCENARIO_WORDS.narrative,
  ) {
    const name = path.basename(file);
    const lines = [`// ${statement.text}    (${name}:${statement.line}): ${narrative}`, ''];
    const open: number[] = [];
    events.forEach((e, i) => {
      if (e.kind === 'return') {
        open.pop();
        this.depthOf.push(open.length);
        this.parentOf.push(open.length > 0 ? open[open.length - 1] : -1);
        return;
      }
      this.depthOf.push(open.length);
      this.parentOf.push(open.length > 0 ? open[open.length - 1] : -1);
      this.stops.push(i);
      const indent = '    '.repeat(open.length);
      lines.push(e.kind === 'call' ? `${indent}${e.fn}()${e.text ? `  // ${e.text}` : ''}` : `${indent}${e.text}`);
      if (e.kind === 'call') open.push(i);
    });
    this.text = lines.join('\n') + '\n';
  }

  get empty(): boolean {
    return this.stops.length === 0;
  }

  get last(): number {
    return this.stops[this.stops.length - 1];
  }

  /** The virtual source line of event i (a call or an effect). */
  lineOf(i: number): number {
    return HEADER_LINES + 1 + this.stops.indexOf(i);
  }

  /** The kernel frames standing at event i, innermost first: the open calls, or the API call itself at the top level. */
  frames(i: number, apiName: string): KernelFrame[] {
    const frames: KernelFrame[] = [];
    let line = this.lineOf(i);
    let call = this.events[i].kind === 'call' ? i : this.parentOf[i];
    while (call >= 0) {
      const e = this.events[call];
      frames.push({ name: e.kind === 'call' ? e.fn : apiName, line });
      line = this.lineOf(call);
      call = this.parentOf[call];
    }
    // An effect outside any modeled call still stands in a kernel frame: the API call's own.
    if (frames.length === 0) frames.push({ name: apiName, line });
    return frames;
  }

  /** Step in: the next call or effect; undefined past the last (back to the scenario). */
  next(i: number): number | undefined {
    return this.stops.find((s) => s > i);
  }

  /** Step over: the next call or effect not nested deeper than event i. */
  over(i: number): number | undefined {
    const d = this.depthOf[i];
    return this.stops.find((s) => s > i && this.depthOf[s] <= d);
  }

  /** Step out: the next call or effect after the call enclosing event i returned. */
  out(i: number): number | undefined {
    const d = this.depthOf[i];
    return this.stops.find((s) => s > i && this.depthOf[s] < d);
  }

  /** Step back: the previous call or effect; undefined before the first (back before the statement). */
  previous(i: number): number | undefined {
    for (let k = this.stops.length - 1; k >= 0; k--) if (this.stops[k] < i) return this.stops[k];
    return undefined;
  }
}
