// The step store of a trace recording: nothing per event. A trace's statement is its step and its depth 0; the
// thread comes from the event's page (re-read from the file); flags and hazards are kept for the few steps that
// have them, found by a remembered position so that a scan in step order does not search each time.
import type { Hazard } from '../machine/hazards';
import { countAtMost } from '../sorted/search';
import type { StepRecord } from './engine';
import { Growable } from './growable';
import { kindBit, type StepStore } from './stepStore';
import type { TraceColumns } from './traceColumns';

export class TraceSteps implements StepStore {
  private count = 0;
  /** Steps with flags or hazards, ascending, with their flags and (once finished) unexpected hazard kinds. */
  private readonly marked = new Growable(Uint32Array);
  private readonly markFlags = new Growable(Uint8Array);
  private markKinds = new Uint16Array(0);
  /** The step of each hazard, in the order raised. */
  private readonly hazardSteps = new Growable(Uint32Array);
  /** Index into `marked` of the last lookup: scans ask in step order. */
  private hint = 0;

  constructor(private readonly columns: TraceColumns) {}

  get length(): number {
    return this.count;
  }

  push(record: StepRecord, raised: number): void {
    const i = this.count++;
    if (record.flags !== 0 || raised > 0) {
      this.marked.push(i);
      this.markFlags.push(record.flags);
    }
    for (let k = 0; k < raised; k++) this.hazardSteps.push(i);
  }

  finish(hazards: readonly Hazard[]): void {
    this.markKinds = new Uint16Array(this.marked.length);
    for (let k = 0; k < this.hazardSteps.length; k++) {
      const h = hazards[k];
      if (h && !h.expected) this.markKinds[this.markOf(this.hazardSteps.at(k))] |= kindBit(h.kind);
    }
  }

  stmt(i: number): number {
    return i;
  }

  thread(i: number): number {
    return i < this.count ? this.columns.threadOf(i) : 0;
  }

  depth(): number {
    return 0;
  }

  flags(i: number): number {
    const m = this.markOf(i);
    return m < 0 ? 0 : this.markFlags.at(m);
  }

  hazardStart(i: number): number {
    return countAtMost(this.hazardSteps.view(), i - 1);
  }

  unexpected(i: number): number {
    const m = this.markOf(i);
    return m < 0 ? 0 : (this.markKinds[m] ?? 0);
  }

  /** A trace's events change no buffer's owner (it has no buffers of the machine). */
  changedOwnerOf(): boolean {
    return false;
  }

  lastOnThread(thread: number, before: number): number | undefined {
    return this.columns.lastOnThread(thread, before);
  }

  bytes(): number {
    return this.marked.bytes + this.markFlags.bytes + this.markKinds.byteLength + this.hazardSteps.bytes;
  }

  /** Index in `marked` of step i, or -1: the remembered index or the next one, else a binary search. */
  private markOf(i: number): number {
    const n = this.marked.length;
    // `k` is right when every mark before it is below i and the one at it (if any) is i or above.
    const fits = (k: number): boolean => k <= n && (k === n || this.marked.at(k) >= i) && (k === 0 || this.marked.at(k - 1) < i);
    if (!fits(this.hint)) this.hint = fits(this.hint + 1) ? this.hint + 1 : countAtMost(this.marked.view(), i - 1);
    return this.hint < n && this.marked.at(this.hint) === i ? this.hint : -1;
  }
}

