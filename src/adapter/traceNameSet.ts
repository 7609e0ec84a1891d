// The steps of a trace whose event name a function breakpoint matches, as a set answered from the page index
// instead of a number per matching event: membership reads the step's page, the size adds up each page's count of
// the matching names, and iteration decodes only the pages holding one.
import { StepSet } from './stepSet';
import type { TraceColumns } from './traceColumns';

export class TraceNameSet extends StepSet {
  readonly size: number;

  /** `hit[id]`: whether name id matches. */
  constructor(
    private readonly columns: TraceColumns,
    private readonly hit: readonly boolean[],
  ) {
    super();
    let size = 0;
    for (let p = 0; p < columns.pageCount; p++) columns.namesOfPage(p).forEach((n, id) => hit[id] && (size += n));
    this.size = size;
  }

  has(step: number): boolean {
    if (this.size === 0 || !Number.isInteger(step) || step < 0 || step >= this.columns.length) return false;
    const page = this.columns.page(step);
    return this.hit[page.names[step - page.start]] === true;
  }

  *values(): IterableIterator<number> {
    for (let p = 0; p < this.columns.pageCount; p++) {
      if (!this.columns.namesOfPage(p).some((n, id) => n > 0 && this.hit[id])) continue;
      const page = this.columns.pageNumbered(p);
      for (let k = 0; k < page.count; k++) if (this.hit[page.names[k]]) yield page.start + k;
    }
  }
}
