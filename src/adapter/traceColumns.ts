// What the trace engine keeps per event (step): its line, byte offset and interned event name, in typed arrays,
// and the statements the session asks for, made on demand from them: a trace's events are never held as objects.
import * as fs from 'fs';
import type { StatementInfo } from './engine';
import { Growable } from './growable';

/** Longest statement text shown (an sg list's line runs to kilobytes). */
const TEXT_LIMIT = 240;
const READ_CHUNK = 8192;

/** The line starting at byte `offset` of `file`, without its terminator ('' when unreadable). */
export function readLineAt(file: string, offset: number): string {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const parts: Buffer[] = [];
    for (let at = offset; ; ) {
      const buf = Buffer.alloc(READ_CHUNK);
      const n = fs.readSync(fd, buf, 0, READ_CHUNK, at);
      const nl = buf.subarray(0, n).indexOf(10);
      parts.push(buf.subarray(0, nl < 0 ? n : nl));
      if (nl >= 0 || n < READ_CHUNK) break;
      at += n;
    }
    return Buffer.concat(parts).toString('latin1').replace(/\r$/, '');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export class TraceColumns {
  private readonly lines = new Growable(Uint32Array);
  /** Offsets split in two: files past 4 GiB stay exact (up to 256 TiB). */
  private readonly offsetLow = new Growable(Uint32Array);
  private readonly offsetHigh = new Growable(Uint16Array);
  private readonly nameIds = new Growable(Uint16Array);
  readonly names: string[] = [];
  private readonly nameIndex = new Map<string, number>();
  /** The statements as the session reads them: statement id = step, each made when indexed. */
  readonly statements: readonly StatementInfo[];

  constructor(private readonly file: string) {
    const columns = this;
    // A Proxy so that `statements[i]`, `length`, `forEach` and `filter` work without an object per event.
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
    return this.lines.length;
  }

  push(line: number, offset: number, name: string): void {
    let id = this.nameIndex.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.nameIndex.set(name, id);
    }
    this.lines.push(line);
    this.offsetLow.push(offset % 2 ** 32);
    this.offsetHigh.push(Math.floor(offset / 2 ** 32));
    this.nameIds.push(id);
  }

  lineOf(step: number): number {
    return this.lines.at(step);
  }

  offsetOf(step: number): number {
    return this.offsetHigh.at(step) * 2 ** 32 + this.offsetLow.at(step);
  }

  nameOf(step: number): string {
    return this.names[this.nameIds.at(step)];
  }

  /** Steps whose event name passes `test`, testing each distinct name once. */
  stepsNamed(test: (name: string) => boolean): Set<number> {
    const hit = this.names.map(test);
    const ids = this.nameIds.view();
    const out = new Set<number>();
    for (let i = 0; i < ids.length; i++) if (hit[ids[i]]) out.add(i);
    return out;
  }

  statement(step: number): StatementInfo | undefined {
    if (!Number.isInteger(step) || step < 0 || step >= this.length) return undefined;
    const file = this.file;
    const offset = this.offsetOf(step);
    let text: string | undefined;
    const full = (): string => (text ??= readLineAt(file, offset));
    return {
      line: this.lineOf(step),
      column: 1,
      name: this.nameOf(step),
      get endColumn() {
        return full().length + 1;
      },
      get text() {
        const t = full().trim();
        return t.length > TEXT_LIMIT ? `${t.slice(0, TEXT_LIMIT)}...` : t;
      },
    };
  }

  bytes(): number {
    return this.lines.bytes + this.offsetLow.bytes + this.offsetHigh.bytes + this.nameIds.bytes;
  }
}
