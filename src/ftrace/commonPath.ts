// The checker's common path in WebAssembly (`wasm/commonPath/`): `check-trace` hands it each batch's records, and it
// checks the events that make up almost all of a capture (single maps, unmaps and syncs that meet their mapping
// exactly as mapped, IOMMU maps and unmaps), none of which `TraceChecker` would report anything for, at a fraction
// of its cost. It stops at anything else: a line for the general parser or an event with a text (the host checks it,
// and it comes back here if it is one of these events), or an event whose check could find something (the first
// event of each kind goes to the host to be counted first, as kinds are listed in the order met). At that one,
// `handOver` gives the checker the whole state (live mappings, cache lines, released addresses, IOMMU mappings,
// figures) as if it had checked every event itself, and the checker checks the rest of the capture. What the two
// sides share is commonPathLayout.ts.
import type { TraceChecker } from './checker';
import { FOR_HOST, I_LINE, I_PADDR, I_SIZE, I_WIDTH, M_ATTRS, M_DIR, M_ID, M_LINE, M_PHYS, M_SIZE, M_WIDTH, NEW_CODE, NEW_DEVICE, UNCHECKED } from './commonPathLayout';
import type { EventBatch } from './eventBatch';
import { DIRECTIONS, type DmaEvent } from './events';
import type { Origin } from './mappings';
import { FIRST_SYNC, FIRST_UNMAP, IOMMU_MAP, IOMMU_UNMAP, R_CODE, R_DEVICE, STRIDE } from './recordLayout';
import { COMMON_PATH_WASM } from './wasm/commonPathWasm';
import { compileModule, instantiate } from './wasmModule';

interface CommonPathModule {
  memory: { readonly buffer: ArrayBuffer };
  setUp(firstId: number, cacheLine: number): void;
  setEpoch(epoch: number): void;
  setLineBase(base: number): void;
  reason(): number;
  reserve(count: number, ids: number): number;
  stringIdsAt(): number;
  nameDevice(id: number, index: number): number;
  setBudget(bytes: number): void;
  markSeen(code: number): void;
  checked(code: number): number;
  run(from: number, count: number): number;
  apply(code: number, line: number, offset: number, time: number, cpu: number, a: number, size: number, other: number, device: number, attrs: number, dir: number): number;
  holds(device: number, dma: number): number;
  deviceCount(): number;
  figure(index: number, what: number): number;
  iommuFigure(what: number): number;
  lastId(): number;
  dumpLive(index: number): number;
  dumpIommu(): number;
  dumpReleases(index: number): number;
  dumped(): number;
}

let compiled: object | undefined;

/** Why `run` stopped: a record for the host (a line for the general parser, an event with a text), or an event for the checker. */
export const Stop = { ForHost: FOR_HOST, Unchecked: UNCHECKED } as const;
export type Stop = (typeof Stop)[keyof typeof Stop];

/** What the host does with an event decoded by the general parser while the common path holds the state. */
export const enum Route {
  /** The common path checked it. */
  Checked,
  /** The checker checks it: it reads nothing the common path holds (allocations, fences, marks, ...). */
  Host,
  /** The checker must hold the state first (`handOver`), then check it. */
  HandOver,
}

// The numbers `dumpLive` writes per mapping (its dma address, then its fields), and `dumpIommu` per IOMMU mapping.
const L_DMA = 0, L_SIZE = 1 + M_SIZE, L_PHYS = 1 + M_PHYS, L_DIR = 1 + M_DIR, L_ATTRS = 1 + M_ATTRS, L_ID = 1 + M_ID, L_ORIGIN = 1 + M_LINE, L_WIDTH = 1 + M_WIDTH;
const D_IOVA = 0, D_PADDR = 1 + I_PADDR, D_SIZE = 1 + I_SIZE, D_ORIGIN = 1 + I_LINE, D_WIDTH = 1 + I_WIDTH;

const originAt = (n: Float64Array, at: number): Origin => ({ line: n[at], offset: n[at + 1], timestamp: n[at + 2], cpu: n[at + 3], epoch: n[at + 4] });

export class CommonPath {
  private readonly wasm: CommonPathModule;
  /** Device names and attrs by this module's string ids. */
  private readonly names: string[] = [];
  private readonly idOf = new Map<string, number>();
  /** Each reader's string table (`EventBatch.strings`) as this module's ids. */
  private readonly idsOf = new Map<string[], number[]>();
  private batch: EventBatch | undefined;
  private stopped: Stop = Stop.ForHost;

  /** `budget`: the bytes the module may grow to (tests set a small one); past it, the checker takes over. */
  constructor(private readonly checker: TraceChecker, budget?: number) {
    this.wasm = instantiate<CommonPathModule>((compiled ??= compileModule(COMMON_PATH_WASM)));
    this.wasm.setUp(checker.nextId, checker.lineSize);
    if (budget !== undefined) this.wasm.setBudget(budget);
    this.wasm.setEpoch(checker.epoch);
  }

  /** Copies `batch`'s records (and its string ids) in, for `run`. */
  load(batch: EventBatch): void {
    const ids = this.idsFor(batch.strings);
    const wasm = this.wasm;
    const at = wasm.reserve(batch.count, ids.length);
    const memory = wasm.memory.buffer;
    new Float64Array(memory, at, batch.count * STRIDE).set(batch.records.subarray(0, batch.count * STRIDE));
    new Int32Array(memory, wasm.stringIdsAt(), ids.length).set(ids);
    wasm.setLineBase(batch.lineBase);
    this.batch = batch;
  }

  /**
   * Checks the loaded batch's records from `from` on; returns the first it stopped before (`reason`), or the count.
   * The first event of each kind is handed to `firstOf` (by its code) before it is checked: the host counts kinds in
   * the order they come.
   */
  run(from: number, firstOf: (code: number) => void): number {
    const batch = this.batch!;
    const w = this.wasm;
    for (;;) {
      const i = w.run(from, batch.count);
      if (i === batch.count) return i;
      const why = w.reason();
      if (why === NEW_CODE) {
        const code = batch.records[i * STRIDE + R_CODE];
        firstOf(code);
        w.markSeen(code);
      } else if (why === NEW_DEVICE) {
        // A device's first event here: it takes the index the checker gives it (made now, if this is its first).
        if (this.named(batch.strings[batch.records[i * STRIDE + R_DEVICE]]) < 0) return this.stop(i, Stop.Unchecked);
      } else return this.stop(i, why === UNCHECKED ? Stop.Unchecked : Stop.ForHost);
      from = i;
    }
  }

  /** Why `run` last stopped. */
  get reason(): Stop {
    return this.stopped;
  }

  /** The events of fast-path code `code` this module checked. */
  checked(code: number): number {
    return this.wasm.checked(code);
  }

  /** A `[LOST N EVENTS]` marker was read: the origins from now on carry the checker's new epoch. */
  setEpoch(epoch: number): void {
    this.wasm.setEpoch(epoch);
  }

  /** Checks `e` here if it is one of this module's events, or says who must. */
  route(e: DmaEvent, line: number, offset: number, timestamp: number, cpu: number): Route {
    const w = this.wasm;
    switch (e.op) {
      case 'iommu_map': return w.apply(IOMMU_MAP, line, offset, timestamp, cpu, e.iova, e.size, e.paddr, -1, 0, 0) ? Route.Checked : Route.HandOver;
      case 'iommu_unmap': return w.apply(IOMMU_UNMAP, line, offset, timestamp, cpu, e.iova, e.size, e.unmapped, -1, 0, 0) ? Route.Checked : Route.HandOver;
      case 'map': return this.applied(0, e.device, e.dir, e.attrs, e.dma, e.size, e.phys, line, offset, timestamp, cpu);
      case 'unmap': return this.applied(FIRST_UNMAP, e.device, e.dir, e.attrs, e.dma, e.size, 0, line, offset, timestamp, cpu);
      case 'sync': return this.applied(FIRST_SYNC, e.device, e.dir, '', e.dma, e.size, 0, line, offset, timestamp, cpu);
      case 'free': return w.holds(this.checker.device(e.device).index, e.dma) ? Route.HandOver : Route.Host;
      case 'alloc': case 'fence': case 'mark': case 'other': case 'bad': return Route.Host;
    }
    // sg lists, bounces and map errors: the checker's alone.
    return Route.HandOver;
  }

  /**
   * Gives `checker` the state of every event checked here, as it would hold it had it checked them itself; this
   * module is done with after it.
   */
  handOver(): void {
    const w = this.wasm;
    const c = this.checker;
    for (let i = 0; i < w.deviceCount(); i++) {
      // A device that mapped nothing here has nothing else here either (figures, mappings, releases).
      if (w.figure(i, 0) === 0) continue;
      const d = c.deviceAt(i);
      const live = this.dumped(w.dumpLive(i), L_WIDTH);
      const order: number[] = [];
      for (let at = 0; at < live.length; at += L_WIDTH) order.push(at);
      order.sort((a, b) => live[a + L_ID] - live[b + L_ID]);
      for (const at of order) {
        const dir = DIRECTIONS[live[at + L_DIR]];
        d.byDma.addSingle(live[at + L_ID], live[at + L_DMA], live[at + L_SIZE], live[at + L_PHYS], dir, this.names[live[at + L_ATTRS]], false, originAt(live, at + L_ORIGIN));
        if (dir !== 'TO_DEVICE') c.cachelines.add(Math.floor(live[at + L_PHYS] / c.lineSize), d.index, live[at + L_DMA], 0);
      }
      const released = this.dumped(w.dumpReleases(i), 3);
      for (let at = 0; at < released.length; at += 3) d.unmapped.set(released[at], { line: released[at + 1], epoch: released[at + 2] });
      const s = d.stats;
      s.maps = w.figure(i, 0);
      s.unmaps = w.figure(i, 1);
      s.syncs = w.figure(i, 2);
      s.bytes = w.figure(i, 3);
      s.peakLive = w.figure(i, 4);
      d.live = w.figure(i, 5);
      if (w.figure(i, 6) === 1) s.longest = { line: w.figure(i, 7), dma: w.figure(i, 8), size: w.figure(i, 9), seconds: w.figure(i, 10) };
    }
    const iommu = this.dumped(w.dumpIommu(), D_WIDTH);
    for (let at = 0; at < iommu.length; at += D_WIDTH) c.iommu.map(iommu[at + D_IOVA], iommu[at + D_PADDR], iommu[at + D_SIZE], originAt(iommu, at + D_ORIGIN));
    c.iommu.maps = w.iommuFigure(0);
    c.iommu.unmaps = w.iommuFigure(1);
    c.iommu.peakLive = w.iommuFigure(2);
    c.nextId = w.lastId();
  }

  private applied(code: number, device: string, dir: string, attrs: string, dma: number, size: number, other: number, line: number, offset: number, timestamp: number, cpu: number): Route {
    const index = this.named(device);
    if (index < 0) return Route.HandOver;
    const ok = this.wasm.apply(code, line, offset, timestamp, cpu, dma, size, other, index, this.stringId(attrs), DIRECTIONS.indexOf(dir as never));
    return ok ? Route.Checked : Route.HandOver;
  }

  /**
   * Gives device `name` its checker's index here (made in the checker now, if this is its first event) and returns
   * it; -1 if the module has no room for it.
   */
  private named(name: string): number {
    const index = this.checker.device(name).index;
    return this.wasm.nameDevice(this.stringId(name), index) === 1 ? index : -1;
  }

  private stop(i: number, why: Stop): number {
    this.stopped = why;
    return i;
  }

  /** The `count` entries of `width` numbers `dump*` wrote at `at`, copied out. */
  private dumped(at: number, width: number): Float64Array {
    return new Float64Array(this.wasm.memory.buffer, at, this.wasm.dumped() * width).slice();
  }

  private stringId(s: string): number {
    let id = this.idOf.get(s);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(s);
      this.idOf.set(s, id);
    }
    return id;
  }

  private idsFor(strings: string[]): number[] {
    let ids = this.idsOf.get(strings);
    if (!ids) this.idsOf.set(strings, (ids = []));
    for (let k = ids.length; k < strings.length; k++) ids.push(this.stringId(strings[k]));
    return ids;
  }
}
