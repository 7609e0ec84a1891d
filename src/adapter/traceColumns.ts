// What the trace engine knows of each event (step): its line, byte offset, interned event name and thread, in
// pages of PAGE_STEPS events that are re-read from the file when asked for (a few kept, most recent first). Only
// each page's start (line, offset), the threads that logged in it and its count of each event name stay resident:
// no memory per event.
import { TraceCursor } from '../ftrace/index';
import type { CaptureFile } from './captureFile';
import { NameIds } from './nameIds';
import { segmentAt } from '../sorted/search';
import type { StatementInfo } from './engine';
import { TraceNameSet } from './traceNameSet';

/** Events per page: a page re-reads about half a MiB of a typical capture. */
export const PAGE_STEPS = 4096;
/** Pages kept decoded (each PAGE_STEPS * 16 bytes). */
const CACHED_PAGES = 16;
/** CPUs with a thread each; a larger number (a damaged line) shares the last thread. */
export const MAX_CPUS = 4096;
/** Threads with a bit of their own in a page's thread mask; higher ones share the last bit. */
const MASK_THREADS = 31;
/** Longest statement text shown (an sg list's line runs to kilobytes). */
const TEXT_LIMIT = 240;
const READ_CHUNK = 8192;
/** Read size when decoding a page. */
const PAGE_READ = 256 * 1024;

/** The line starting at byte `offset` of `file`, without its terminator ('' when unreadable). */
function readLineAt(file: string, offset: number): string {
  let cursor: TraceCursor | undefined;
  try {
    cursor = TraceCursor.open(file, { offset, line: 1 }, READ_CHUNK);
    return cursor.next()?.text ?? '';
  } catch {
    return '';
  } finally {
    cursor?.close();
  }
}

/** The thread of a CPU number: thread i is CPU i. */
export function threadOfCpu(cpu: number): number {
  return cpu >= 0 && cpu < MAX_CPUS ? cpu : MAX_CPUS;
}

const threadBit = (thread: number): number => 1 << Math.min(thread, MASK_THREADS);

/** One page of events decoded: index k is step `start + k`. */
export interface Page {
  start: number;
  count: number;
  lines: Uint32Array;
  offsets: Float64Array;
  names: Uint16Array;
  threads: Uint16Array;
}

export class TraceColumns {
  private count = 0;
  /** Per page: its first event's line and byte offset (where decoding starts), a bit per thread, events per name id. */
  private readonly pageLine: number[] = [];
  private readonly pageOffset: number[] = [];
  private readonly pageThreads: number[] = [];
  private readonly pageNames: number[][] = [];
  private readonly nameIds = new NameIds();
  /** Decoded pages, least recently used first. */
  private readonly cache: Page[] = [];
  /** Pages decoded so far (a figure for tests and the benchmark). */
  decodes = 0;
  /** The statements as the session reads them: statement id = step, each made when indexed. */
  readonly statements: readonly StatementInfo[];

  constructor(private readonly capture: CaptureFile) {
    const columns = this;
    // A Proxy so that `statements[i]` and `length` work without an object per event.
    this.statements = new Proxy<StatementInfo[]>([], {
      get(target, key, receiver) {
        if (key === 'length') return columns.length;
        if (typeof key === 'string' && /^\d+$/.test(key)) return columns.statement(Number(key));
        return Reflect.get(target, key, receiver);
      },
      has: (_target, key) => typeof key === 'string' && /^\d+$/.test(key) && Number(key) < columns.length,
    });
  }

  get length(): number {
    return this.count;
  }

  /** On the first pass: the next event's line, offset, name and thread. */
  push(line: number, offset: number, name: string, thread: number): void {
    const p = Math.floor(this.count / PAGE_STEPS);
    if (p === this.pageLine.length) {
      this.pageLine.push(line);
      this.pageOffset.push(offset);
      this.pageThreads.push(0);
      this.pageNames.push([]);
    }
    this.pageThreads[p] |= threadBit(thread);
    const id = this.nameIds.idOf(name);
    const counts = this.pageNames[p];
    counts[id] = (counts[id] ?? 0) + 1;
    this.count++;
  }

  /** Event names by their ids. */
  get names(): readonly string[] {
    return this.nameIds.names;
  }

  get pageCount(): number {
    return this.pageLine.length;
  }

  /** How many events of page p bear each name id (index: id; a hole where none do). */
  namesOfPage(p: number): readonly number[] {
    return this.pageNames[p];
  }

  pageNumbered(p: number): Page {
    return this.page(p * PAGE_STEPS);
  }

  /** The decoded page holding `step` (0 <= step < length). */
  page(step: number): Page {
    const p = Math.floor(step / PAGE_STEPS);
    const start = p * PAGE_STEPS;
    const count = Math.max(0, Math.min(PAGE_STEPS, this.count - start));
    const k = this.cache.findIndex((c) => c.start === start);
    let page = k >= 0 ? this.cache.splice(k, 1)[0] : undefined;
    // A page cached while the first pass was still filling it is read again once it has grown.
    if (page?.count !== count) page = this.decode(p, start, count);
    this.cache.push(page);
    if (this.cache.length > CACHED_PAGES) this.cache.shift();
    return page;
  }

  private decode(p: number, start: number, count: number): Page {
    this.decodes++;
    const page: Page = { start, count, lines: new Uint32Array(count), offsets: new Float64Array(count), names: new Uint16Array(count), threads: new Uint16Array(count) };
    // Other events would be read at the recorded offsets of a file rewritten since.
    this.capture.check();
    let cursor: TraceCursor | undefined;
    try {
      cursor = TraceCursor.open(this.capture.path, { offset: this.pageOffset[p], line: this.pageLine[p] }, PAGE_READ);
      let n = 0;
      for (let r = cursor.next(); r && n < count; r = cursor.next()) {
        if (r.kind !== 'event') continue;
        page.lines[n] = r.line;
        page.offsets[n] = r.offset;
        page.names[n] = this.nameIds.idOf(r.event);
        page.threads[n] = threadOfCpu(r.cpu);
        n++;
      }
    } catch {
      // The file changed after the check: the page reads as zeros, and the next read's check says why.
    } finally {
      cursor?.close();
    }
    return page;
  }

  offsetOf(step: number): number {
    const page = this.page(step);
    return page.offsets[step - page.start];
  }

  lineOf(step: number): number {
    const page = this.page(step);
    return page.lines[step - page.start];
  }

  threadOf(step: number): number {
    const page = this.page(step);
    return page.threads[step - page.start];
  }

  /** Steps whose event name passes `test`, testing each distinct name once; see TraceNameSet. */
  stepsNamed(test: (name: string) => boolean): TraceNameSet {
    return new TraceNameSet(this, this.names.map(test));
  }

  /** Steps on lines `from..to`: lines grow with steps, so only the pages spanning them are read. */
  stepsOnLines(from: number, to: number): number[] {
    const out: number[] = [];
    const lines = this.pageLine;
    for (let p = segmentAt(lines.length, (k) => lines[k], from); p < lines.length && lines[p] <= to; p++) {
      const page = this.pageNumbered(p);
      for (let k = 0; k < page.count; k++) if (page.lines[k] >= from && page.lines[k] <= to) out.push(page.start + k);
    }
    return out;
  }

  /** The last step before `before` on `thread`, reading only pages where that thread logged. */
  lastOnThread(thread: number, before: number): number | undefined {
    const end = Math.min(before, this.count);
    for (let p = Math.floor((end - 1) / PAGE_STEPS); p >= 0; p--) {
      if ((this.pageThreads[p] & threadBit(thread)) === 0) continue;
      const page = this.pageNumbered(p);
      for (let k = Math.min(page.count, end - page.start) - 1; k >= 0; k--) if (page.threads[k] === thread) return page.start + k;
    }
    return undefined;
  }

  statement(step: number): StatementInfo | undefined {
    if (!Number.isInteger(step) || step < 0 || step >= this.length) return undefined;
    const capture = this.capture;
    const page = this.page(step);
    const offset = page.offsets[step - page.start];
    let text: string | undefined;
    const full = (): string => {
      if (text === undefined) {
        capture.check();
        text = readLineAt(capture.path, offset);
      }
      return text;
    };
    return {
      line: page.lines[step - page.start],
      column: 1,
      name: this.names[page.names[step - page.start]],
      get endColumn() {
        return full().length + 1;
      },
      get text() {
        const t = full().trim();
        return t.length > TEXT_LIMIT ? `${t.slice(0, TEXT_LIMIT)}...` : t;
      },
    };
  }

  /** Bytes held for the pages' index (per page: line, offset, thread mask, and a count per name id up to its last). */
  bytes(): number {
    let names = 0;
    for (const counts of this.pageNames) names += counts.length;
    return this.pageLine.length * 3 * 8 + names * 8;
  }

  /** Bytes of the decoded pages kept: bounded by CACHED_PAGES, whatever the file's length. */
  cacheBytes(): number {
    return this.cache.reduce((n, p) => n + p.lines.byteLength + p.offsets.byteLength + p.names.byteLength + p.threads.byteLength, 0);
  }
}

