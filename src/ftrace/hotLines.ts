// The fast path of the reader: decodes the lines that make up almost all of a DMA capture (single maps, unmaps and
// syncs, IOMMU maps and unmaps, in the kernel's own layout; marks, coherent allocations and frees, with their text)
// straight from the file's bytes into an `EventBatch`, in WebAssembly (`wasm/assembly/hotLines.ts`). It accepts only
// lines that `parseLine` and `decodeEvent` would read to the very same values; any other line goes into the batch as
// its text for the general parser. The cursor reads the file straight into this parser's window, in the module's
// memory.
import { EventBatch } from './eventBatch';
import { STRIDE } from './recordLayout';
import { HOT_LINES_WASM } from './wasm/hotLinesWasm';
import { compileModule, instantiate } from './wasmModule';

interface HotLinesModule {
  memory: { readonly buffer: ArrayBuffer };
  reserveWindow(size: number, from: number, keep: number): number;
  beginBatch(capacity: number): number;
  scan(pos: number, filled: number, eof: boolean, line: number, base: number): number;
  recordCount(): number;
  textsCount(): number;
  textSpansAt(): number;
  lastLine(): number;
  stringCount(): number;
  stringAt(id: number): number;
  stringLength(id: number): number;
}

/**
 * Compiled once per process; each parser is an instance of it with its own memory. Reading threads are handed the
 * checking thread's module, so that V8 compiles and optimises its code once for all of them.
 */
let compiled: object | undefined;

/** The compiled decoder, to hand to another thread. */
export function decoderModule(): object {
  return (compiled ??= compileModule(HOT_LINES_WASM));
}

/** Uses `module`, made by `decoderModule` on another thread, for this thread's parsers. */
export function useDecoderModule(module: object): void {
  compiled = module;
}

export class HotLineParser {
  /** Device names and attrs by the ids the records hold, mirrored from the module's table; batches share it. */
  readonly strings: string[] = [];
  private readonly wasm: HotLinesModule;
  /** The module's memory as last seen: growing it detaches every view made over the old one. */
  private seen: ArrayBuffer;
  private view: Buffer;
  private windowAt = 0;
  private windowSize = 0;
  /** Where the module writes the records of the batch being filled. */
  private recordsAt = 0;

  constructor() {
    this.wasm = instantiate<HotLinesModule>(decoderModule());
    this.seen = this.wasm.memory.buffer;
    this.view = Buffer.from(this.seen);
  }

  /** The window the file is read into, as a view valid until the next call on this parser. */
  get window(): Buffer {
    if (this.wasm.memory.buffer !== this.seen || this.view.byteOffset !== this.windowAt || this.view.length !== this.windowSize) {
      this.seen = this.wasm.memory.buffer;
      this.view = Buffer.from(this.seen, this.windowAt, this.windowSize);
    }
    return this.view;
  }

  /** Makes the window at least `size` bytes, with the `keep` bytes at `from` moved to its front, and returns it. */
  reserve(size: number, from: number, keep: number): Buffer {
    this.windowAt = this.wasm.reserveWindow(size, from, keep);
    this.windowSize = Math.max(size, this.windowSize);
    return this.window;
  }

  /** Starts filling `batch` (cleared). */
  begin(batch: EventBatch): void {
    batch.clear();
    batch.strings = this.strings;
    this.recordsAt = this.wasm.beginBatch(batch.capacity);
  }

  /**
   * Reads the lines of window[pos, filled) into `batch` until it is full or no whole line is left (at the end of the
   * file, `eof`, the last line needs no newline); `line` is the number of the last line read before and `base` the
   * file offset of the window's start. Blank lines are counted and skipped. Returns where reading stopped.
   */
  read(batch: EventBatch, pos: number, filled: number, eof: boolean, line: number, base: number): number {
    const wasm = this.wasm;
    const next = wasm.scan(pos, filled, eof, line, base);
    const from = batch.count;
    const to = wasm.recordCount();
    const memory = wasm.memory.buffer;
    batch.records.set(new Float64Array(memory, this.recordsAt + from * STRIDE * 8, (to - from) * STRIDE), from * STRIDE);
    batch.count = to;
    const texts = wasm.textsCount();
    if (texts > batch.texts.length) {
      const spans = new Uint32Array(memory, wasm.textSpansAt(), texts * 2);
      const bytes = Buffer.from(memory);
      for (let k = batch.texts.length; k < texts; k++) batch.texts.push(bytes.toString('latin1', spans[2 * k], spans[2 * k + 1]));
    }
    this.mirrorStrings();
    return next;
  }

  /** The number of the last line `read` went through. */
  get lastLine(): number {
    return this.wasm.lastLine();
  }

  /** Copies the strings the module has interned since the last call into `strings`. */
  private mirrorStrings(): void {
    const wasm = this.wasm;
    const n = wasm.stringCount();
    for (let id = this.strings.length; id < n; id++) {
      this.strings.push(Buffer.from(wasm.memory.buffer, wasm.stringAt(id), wasm.stringLength(id)).toString('latin1'));
    }
  }
}
