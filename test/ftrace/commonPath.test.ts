// The checker's common path in WebAssembly (src/ftrace/commonPath.ts) against the checker alone: the report of
// `checkTrace` must be the same with and without it for any input (real captures, read on this thread and on
// reading threads; seeded random captures clean for a long stretch and then faulty; release logs past their
// generations; common events only the general parser reads), and the checker's state right after `handOver` must
// be the state the checker alone would hold after the same events, down to what later events find in it.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { checkTrace, type TraceReport } from '../../src/ftrace/check';
import { TraceChecker, type CheckOptions } from '../../src/ftrace/checker';
import { CommonPath, Route, Stop } from '../../src/ftrace/commonPath';
import { EventBatch } from '../../src/ftrace/eventBatch';
import { DIRECTIONS, decodeEvent, type DmaEvent, type TraceDirection } from '../../src/ftrace/events';
import { BIDIRECTIONAL, RELEASES, TO_DEVICE } from '../../src/ftrace/commonPathLayout';
import { MEMORY_PER_DEVICE } from '../../src/ftrace/deviceState';
import type { TraceFinding } from '../../src/ftrace/findings';
import { HotEvents } from '../../src/ftrace/hotEvents';
import { parseLine } from '../../src/ftrace/lineParser';
import type { StreamingMapping } from '../../src/ftrace/mappings';
import { TraceCursor } from '../../src/ftrace/reader';
import { MARK, R_CODE, R_CPU, R_LINE, R_OFFSET, R_OTHER, R_TIME, SLOW, STRIDE } from '../../src/ftrace/recordLayout';
import { captures, ev, tempTrace, TRACES } from './helpers';

// ---- Running a capture both ways

/** `checkTrace` of `text` with the common path and without it. */
function bothWays(text: string, options: CheckOptions = {}): [TraceReport, TraceReport] {
  return [
    checkTrace(TraceCursor.fromText(text), 'test.trace', options, { thread: false, commonPath: true }),
    checkTrace(TraceCursor.fromText(text), 'test.trace', options, { thread: false, commonPath: false }),
  ];
}

/** The two reports are the same: as values (-0 is not 0) and as JSON, byte for byte (key order too). */
function assertSameReports(common: TraceReport, alone: TraceReport, label: string): void {
  try {
    assert.deepStrictEqual(common, alone);
    assert.equal(JSON.stringify(common), JSON.stringify(alone));
  } catch (e) {
    if (e instanceof Error) e.message = `${label}: with the common path (actual) and without (expected) differ\n${e.message}`;
    throw e;
  }
}

/** Checks `text` both ways, each `fromBoot`, and returns the reports with the common path. */
function assertSameBothWays(text: string, label: string, options: CheckOptions = {}): TraceReport[] {
  return [false, true].map((fromBoot) => {
    const [common, alone] = bothWays(text, { ...options, fromBoot });
    assertSameReports(common, alone, `${label} (fromBoot ${fromBoot})`);
    return common;
  });
}

interface CommonRun {
  checker: TraceChecker;
  findings: TraceFinding[];
  /** Events the common path checked: fast-path records and events of the general parser it took (`slowChecked`). */
  checked: number;
  slowChecked: number;
  /** The line of the event the common path stopped at for the checker (undefined: it checked to the end). */
  stopLine: number | undefined;
}

/**
 * Drives a checker and its common path over `text` as `checkTrace` does, up to the first event the common path
 * hands over (which is not applied) or the end, then calls `handOver`: the checker holds the handed-over state.
 * `budget`: the bytes the common path may grow to.
 */
function runCommon(text: string, options: CheckOptions = {}, capacity = 64, budget?: number): CommonRun {
  const findings: TraceFinding[] = [];
  const checker = new TraceChecker((f) => findings.push(f), options);
  const common = new CommonPath(checker, budget);
  const cursor = TraceCursor.fromText(text);
  const batch = new EventBatch(capacity);
  let slowChecked = 0;
  let stopLine: number | undefined;
  const decoded = new HotEvents();
  try {
    reading: while (cursor.nextBatch(batch)) {
      common.load(batch);
      const rec = batch.records;
      for (let i = 0; i < batch.count; i++) {
        i = common.run(i, () => undefined);
        if (i === batch.count) break;
        const at = i * STRIDE;
        const line = batch.lineBase + rec[at + R_LINE];
        if (common.reason === Stop.Unchecked) {
          stopLine = line;
          break reading;
        }
        assert.equal(common.reason, Stop.ForHost);
        let e: DmaEvent;
        let place: [number, number, number, number];
        if (rec[at + R_CODE] === SLOW) {
          const slow = batch.texts[rec[at + R_OTHER]];
          const r = parseLine(slow, 0, slow.length, line, rec[at + R_OFFSET]);
          if (r?.kind === 'lost') {
            checker.apply(r);
            common.setEpoch(checker.epoch);
          }
          if (r?.kind !== 'event') continue;
          e = decodeEvent(r);
          place = [r.line, r.offset, r.timestamp, r.cpu];
        } else {
          // A mark, an allocation or a free, with its text.
          e = decoded.at(batch, at);
          place = [line, rec[at + R_OFFSET], rec[at + R_TIME], rec[at + R_CPU]];
        }
        const route = common.route(e, ...place);
        if (route === Route.HandOver) {
          stopLine = line;
          break reading;
        }
        if (route === Route.Checked) slowChecked++;
        else checker.applyEvent(e, ...place);
      }
    }
  } finally {
    cursor.close();
  }
  let checked = slowChecked;
  for (let code = 0; code < MARK; code++) checked += common.checked(code);
  common.handOver();
  return { checker, findings, checked, slowChecked, stopLine };
}

/** The checker alone fed every record of `text` (the general parser's, as a debugger steps), with its findings. */
function runAlone(text: string, options: CheckOptions = {}): { checker: TraceChecker; findings: TraceFinding[]; lines: number; offset: number } {
  const findings: TraceFinding[] = [];
  const checker = new TraceChecker((f) => findings.push(f), options);
  const cursor = TraceCursor.fromText(text);
  for (const r of cursor) checker.apply(r);
  return { checker, findings, lines: cursor.nextLine - 1, offset: Buffer.byteLength(text, 'latin1') };
}

/** Feeds `lines` to `checker` as lines `first`, `first + 1`, ... of the same capture, from byte `offset`. */
function feed(checker: TraceChecker, lines: string[], first: number, offset: number): void {
  lines.forEach((l, i) => {
    const r = parseLine(l, 0, l.length, first + i, offset);
    offset += l.length + 1;
    if (r) checker.apply(r);
  });
}

// ---- A seeded generator of captures

/** mulberry32: small, fast, and the same sequence for a seed everywhere. */
class Rng {
  private a: number;
  constructor(seed: number) {
    this.a = (seed * 0x9e3779b1) >>> 0;
  }

  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }

  /** Runs one of `ops` picked by weight; one that returns false (could not apply) gives way to another pick. */
  oneOf(ops: readonly [number, () => boolean | void][]): void {
    const total = ops.reduce((n, [w]) => n + w, 0);
    for (let tries = 0; tries < 12; tries++) {
      let x = this.next() * total;
      const op = ops.find(([w]) => (x -= w) < 0) ?? ops[ops.length - 1];
      if (op[1]() !== false) return;
    }
  }
}

type Dir = TraceDirection;
const DIRS: Dir[] = ['TO_DEVICE', 'TO_DEVICE', 'FROM_DEVICE', 'FROM_DEVICE', 'FROM_DEVICE', 'BIDIRECTIONAL', 'NONE'];
const TASKS = ['kworker/0:1-42', '<idle>-0', 'ip-168', 'ping-224', 'modprobe-157', 'scsi_eh_0-162'];
const FLAGS = ['.....', 'd..1.', '..s1.', 'd.h2.', 'dNh2.', 'D.h1.'];
const ATTRS = ['', '', '', '', 'SKIP_CPU_SYNC', 'WEAK_ORDERING', 'SKIP_CPU_SYNC|WEAK_ORDERING', 'CACHE_CLEAN'];
const SIZES = [16, 64, 90, 512, 1522, 2048, 4096, 4096, 0];
const MAP_NAMES = ['dma_map_phys', 'dma_map_phys', 'dma_map_page', 'dma_map_resource'];
const UNMAP_NAMES = ['dma_unmap_phys', 'dma_unmap_phys', 'dma_unmap_page', 'dma_unmap_resource'];
const DMA_BASE = 0x79100000, SLOT_BASE = 0x7b300000, PHYS_BASE = 0x2780000, IOVA_BASE = 0xfff00000, COHERENT_BASE = 0xd200000;
const DMA_SLOTS = 160, PHYS_LINES = 320, IOVA_SLOTS = 160, COHERENT_SLOTS = 40;
const ERROR = 'ffffffffffffffff';
const hx = (n: number): string => n.toString(16);
/** A device as an event names it: one with no name as `dev: x` prints it (a key, not a word: the general parser's alone). */
const named = (dev: string): string => (dev === '' ? 'dev: x' : dev);
const iommuHex = (n: number): string => '0x' + n.toString(16).padStart(16, '0');

/** How a common event is printed: as the kernel does (the fast path reads it), or so that only the general parser reads it. */
type Layout = 'kernel' | 'tgid' | 'hexsize';

interface Single {
  dev: string;
  dma: number;
  size: number;
  phys: number;
  dir: Dir;
}

interface Sg {
  dev: string;
  dmas: number[];
  sizes: number[];
  phys: number[];
  dir: Dir;
}

interface GenOptions {
  devices: string[];
  /** A device under dma-direct: dma == phys (identity mappings, taken as dropped when their memory is mapped again). */
  identity?: string;
  lineSize: number;
  /** The share of common events printed for the general parser only. */
  slowShare: number;
  /** Live single mappings a device keeps at most in the clean stretch. */
  maxLive: number;
}

/**
 * Writes a capture line by line, keeping a model of what is live. While `clean`, it writes only what the common
 * path takes (maps of free addresses and free cache lines, unmaps and syncs that meet their mapping exactly, IOMMU
 * maps and unmaps) among events it leaves to the checker without a hand-over (allocations, frees of allocations,
 * marks, fences, lost events, malformed lines); `fault` writes anything, collisions with the live state above all.
 */
class Capture {
  readonly lines: string[] = [];
  /** The clock, in microseconds. */
  us: number;
  readonly live = new Map<string, Map<number, Single>>();
  /** Cache lines held by a live device-writable single mapping (exact while clean). */
  readonly held = new Map<number, Single>();
  readonly released = new Map<string, Single[]>();
  /** Every dma address a streaming event of the device named, and every cache line a map touched: probes for the state. */
  readonly dmas = new Map<string, Set<number>>();
  readonly cachelines = new Set<number>();
  readonly iommu = new Map<number, number>();
  readonly coherent = new Map<string, Map<number, { size: number; virt: string }>>();
  readonly freed = new Map<string, { dma: number; size: number; virt: string }[]>();
  private readonly sgs: Sg[] = [];
  private readonly sgsGone: Sg[] = [];

  constructor(private readonly r: Rng, readonly o: GenOptions) {
    this.us = 5_000_000 + r.int(1_000_000);
  }

  get text(): string {
    return this.lines.join('\n') + '\n';
  }

  liveOf(dev: string): Map<number, Single> {
    let m = this.live.get(dev);
    if (!m) this.live.set(dev, (m = new Map()));
    return m;
  }

  get liveCount(): number {
    let n = 0;
    for (const m of this.live.values()) n += m.size;
    return n;
  }

  lineOf(phys: number): number {
    return Math.floor(phys / this.o.lineSize);
  }

  // ---- Writing lines

  private stamp(): number {
    // Mostly forward by up to half a millisecond; sometimes the same microsecond, sometimes a little back (two CPUs).
    const r = this.r;
    this.us += r.chance(0.1) ? 0 : r.chance(0.05) ? -1 - r.int(3) : 1 + r.int(r.chance(0.1) ? 200_000 : 500);
    return this.us / 1e6;
  }

  emit(event: string, body: string, layout: Layout = 'kernel'): void {
    const r = this.r;
    const task = r.pick(TASKS), cpu = r.int(4), flags = r.pick(FLAGS), ts = this.stamp();
    if (layout !== 'tgid') return void this.lines.push(ev(ts, event, body, task, cpu, flags));
    // With the TGID column (`trace` with the record-tgid option): the general parser's alone.
    const tgid = task.slice(task.lastIndexOf('-') + 1);
    this.lines.push(`${task.padStart(16)} (${tgid.padStart(7)}) [${String(cpu).padStart(3, '0')}] ${flags} ${ts.toFixed(6).padStart(12)}: ${event}: ${body}`);
  }

  private layout(): Layout {
    return this.r.chance(this.o.slowShare) ? this.r.pick<Layout>(['tgid', 'hexsize']) : 'kernel';
  }

  private sizeText(size: number, layout: Layout): string {
    return layout === 'hexsize' ? `0x${hx(size)}` : String(size);
  }

  private dirText(dir: Dir): string {
    return this.r.chance(0.15) ? `DMA_${dir}` : dir;
  }

  private touch(dev: string, dma: number, phys?: number): void {
    let s = this.dmas.get(dev);
    if (!s) this.dmas.set(dev, (s = new Set()));
    s.add(dma);
    if (phys !== undefined) this.cachelines.add(this.lineOf(phys));
  }

  map(dev: string, dir: Dir, dma: number | 'error', size: number, phys: number, attrs = this.r.pick(ATTRS), layout = this.layout()): void {
    const text = dma === 'error' ? ERROR : hx(dma);
    this.emit(this.r.pick(MAP_NAMES), `${named(dev)} dir=${this.dirText(dir)} dma_addr=${text} size=${this.sizeText(size, layout)} phys_addr=${hx(phys)} attrs=${attrs}`, layout);
    if (dma === 'error') return;
    this.touch(dev, dma, phys);
    const s: Single = { dev, dma, size, phys, dir };
    const live = this.liveOf(dev);
    const old = live.get(dma);
    if (old) this.forget(old);
    live.set(dma, s);
    if (dir !== 'TO_DEVICE' && !this.held.has(this.lineOf(phys))) this.held.set(this.lineOf(phys), s);
  }

  unmap(dev: string, dir: Dir, dma: number | 'error', size: number, layout = this.layout()): void {
    const text = dma === 'error' ? ERROR : hx(dma);
    this.emit(this.r.pick(UNMAP_NAMES), `${named(dev)} dir=${this.dirText(dir)} dma_addr=${text} size=${this.sizeText(size, layout)} attrs=${this.r.pick(ATTRS)}`, layout);
    if (dma === 'error') return;
    this.touch(dev, dma);
    const s = this.liveOf(dev).get(dma);
    if (s) this.forget(s);
    let rel = this.released.get(dev);
    if (!rel) this.released.set(dev, (rel = []));
    rel.push(s ?? { dev, dma, size, phys: 0, dir });
  }

  sync(dev: string, dir: Dir, dma: number, size: number, layout = this.layout()): void {
    this.emit(`dma_sync_single_for_${this.r.pick(['cpu', 'device'])}`, `${named(dev)} dir=${this.dirText(dir)} dma_addr=${hx(dma)} size=${this.sizeText(size, layout)}`, layout);
    this.touch(dev, dma);
  }

  private forget(s: Single): void {
    this.liveOf(s.dev).delete(s.dma);
    if (this.held.get(this.lineOf(s.phys)) === s) this.held.delete(this.lineOf(s.phys));
  }

  private someLive(filter: (s: Single) => boolean = () => true): Single | undefined {
    const all: Single[] = [];
    for (const m of this.live.values()) for (const s of m.values()) if (filter(s)) all.push(s);
    return all.length ? this.r.pick(all) : undefined;
  }

  private someReleased(): Single | undefined {
    const all = [...this.released.values()].flat();
    return all.length ? this.r.pick(all.slice(-40)) : undefined;
  }

  private freshDma(dev: string): number {
    return dev === this.o.identity ? this.freshPhys() : DMA_BASE + this.r.int(DMA_SLOTS) * 0x800;
  }

  private freshPhys(): number {
    return PHYS_BASE + this.r.int(PHYS_LINES) * this.o.lineSize + this.r.pick([0, 8, 16]);
  }

  private otherDir(dir: Dir): Dir {
    return this.r.pick((['TO_DEVICE', 'FROM_DEVICE', 'BIDIRECTIONAL', 'NONE'] as Dir[]).filter((d) => d !== dir));
  }

  // ---- Clean events: the common path takes every one, or leaves it to the checker with no hand-over

  clean(): void {
    const r = this.r;
    r.oneOf([
      [30, () => this.cleanMap()],
      [22, () => this.cleanUnmap()],
      [8, () => this.cleanSync()],
      [10, () => this.iommuMap()],
      [7, () => this.iommuUnmap()],
      [2, () => this.alloc()],
      [2, () => this.free()],
      [0.7, () => this.lost()],
      [3, () => this.noise()],
    ]);
  }

  cleanMap(dev = this.r.pick(this.o.devices)): boolean {
    const r = this.r;
    const live = this.liveOf(dev);
    if (live.size >= this.o.maxLive) return false;
    const dir = r.pick(DIRS);
    for (let tries = 0; tries < 8; tries++) {
      const phys = this.freshPhys();
      const dma = dev === this.o.identity ? phys : this.freshDma(dev);
      if (live.has(dma) || (dir !== 'TO_DEVICE' && this.held.has(this.lineOf(phys)))) continue;
      this.map(dev, dir, dma, r.pick(SIZES), phys);
      return true;
    }
    return false;
  }

  cleanUnmap(): boolean {
    const s = this.someLive();
    if (!s) return false;
    this.unmap(s.dev, s.dir, s.dma, s.size);
    return true;
  }

  cleanSync(): boolean {
    const s = this.someLive();
    if (!s) return false;
    this.sync(s.dev, s.dir === 'BIDIRECTIONAL' ? this.r.pick(DIRS) : s.dir, s.dma, this.r.int(s.size + 1));
    return true;
  }

  iommuMap(): boolean {
    const r = this.r;
    const iova = IOVA_BASE + r.int(IOVA_SLOTS) * 0x1000;
    const size = r.pick([0x1000, 0x1000, 0x2000, 0x4000]);
    const layout = this.layout();
    this.emit('map', `IOMMU: iova=${iommuHex(iova)} - ${iommuHex(iova + size)} paddr=${iommuHex(0xc600000 + r.int(4096) * 0x1000)} size=${this.sizeText(size, layout)}`, layout);
    this.iommu.set(iova, size);
    return true;
  }

  /** An unmap of one mapping, of several laid end to end, of part of one, or of nothing mapped. */
  iommuUnmap(): boolean {
    const r = this.r;
    const live = [...this.iommu.keys()];
    const iova = live.length && r.chance(0.85) ? r.pick(live) : IOVA_BASE + r.int(IOVA_SLOTS) * 0x1000;
    let size = this.iommu.get(iova) ?? 0x1000;
    const how = r.int(4);
    if (how === 1) for (let at = iova + size, k = 0; k < 3 && this.iommu.has(at); k++) size += this.iommu.get(at)!, at = iova + size;
    if (how === 2 && size > 0x1000) size = 0x1000;
    if (how === 3) size += 0x1000;
    let found = 0;
    for (let at = iova; at < iova + size; ) {
      const mapped = this.iommu.get(at);
      if (mapped === undefined) break;
      this.iommu.delete(at);
      found += mapped;
      at += mapped;
    }
    const layout = this.layout();
    this.emit('unmap', `IOMMU: iova=${iommuHex(iova)} - ${iommuHex(iova + size)} size=${this.sizeText(size, layout)} unmapped_size=${found}`, layout);
    return true;
  }

  alloc(dev = this.r.pick(this.o.devices), dma?: number): boolean {
    const r = this.r;
    let mine = this.coherent.get(dev);
    if (!mine) this.coherent.set(dev, (mine = new Map()));
    dma ??= COHERENT_BASE + r.int(COHERENT_SLOTS) * 0x1000;
    if (mine.has(dma)) return false;
    const size = r.pick([512, 4096, 91392]);
    const virt = (0x10000000 + r.int(0x7fffffff)).toString(16).padStart(16, '0');
    this.emit('dma_alloc', `${named(dev)} dir=BIDIRECTIONAL dma_addr=${hx(dma)} size=${size} virt_addr=${virt} flags=GFP_KERNEL attrs=`);
    mine.set(dma, { size, virt });
    return true;
  }

  free(): boolean {
    const r = this.r;
    const all = [...this.coherent].flatMap(([dev, m]) => [...m].map(([dma, a]) => ({ dev, dma, ...a })));
    if (!all.length) return false;
    const a = r.pick(all);
    this.emit('dma_free', `${named(a.dev)} dir=BIDIRECTIONAL dma_addr=${hx(a.dma)} size=${a.size} virt_addr=${a.virt} attrs=`);
    this.coherent.get(a.dev)!.delete(a.dma);
    let f = this.freed.get(a.dev);
    if (!f) this.freed.set(a.dev, (f = []));
    f.push(a);
    return true;
  }

  lost(): boolean {
    this.lines.push(`CPU:${this.r.int(4)} [LOST ${1 + this.r.int(60)} EVENTS]`);
    return true;
  }

  /** Lines with nothing for the common path: marks, fences, other events, headers, blank and malformed lines. */
  noise(): boolean {
    const r = this.r;
    const dev = r.pick(this.o.devices);
    r.oneOf([
      [3, () => this.emit('tracing_mark_write', `PHASE step ${r.int(100)}`)],
      [2, () => this.emit(`dma_fence_${r.pick(['init', 'emit', 'signaled', 'destroy'])}`, `driver=virtio_gpu timeline=controlq context=${r.int(3)} seqno=${r.int(30)}`)],
      [1, () => this.emit('sched_switch', 'prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=ip next_pid=168 next_prio=120')],
      [1, () => this.emit('map', `OTHER: iova=0x1000 paddr=0x2000 size=4096`)],
      [1, () => void this.lines.push('')],
      [1, () => void this.lines.push('# tracer: nop')],
      [1, () => void this.lines.push(r.pick(['garbage', '  kworker/0:1-42 [000] ..... 5.1', 'x{'.repeat(20)]))],
      // Known events whose fields cannot be read: malformed, and no event for anyone to check.
      [1, () => this.emit(r.pick(MAP_NAMES), `${named(dev)} dir=TO_DEVICE size=16 phys_addr=1000 attrs=`)],
      [1, () => this.emit(r.pick(UNMAP_NAMES), `${named(dev)} dir=SIDEWAYS dma_addr=${hx(this.freshDma(dev))} size=16 attrs=`)],
      [1, () => this.emit('dma_sync_single_for_cpu', `${named(dev)} dir=TO_DEVICE dma_addr=${hx(this.freshDma(dev))} size=zz`)],
      [1, () => this.emit(r.pick(MAP_NAMES), `${named(dev)} dir=TO_DEVICE dma_addr=20000000000001 size=16 phys_addr=1000 attrs=`)],
    ]);
    return true;
  }

  // ---- Anything: collisions with the live state first

  fault(): void {
    const r = this.r;
    const dev = r.pick(this.o.devices);
    r.oneOf([
      [45, () => this.clean()],
      // Unmaps: twice, of nothing, another size or direction, DMA_MAPPING_ERROR.
      [4, () => { const s = this.someReleased(); return s ? this.unmap(s.dev, s.dir, s.dma, s.size) : false; }],
      [3, () => this.unmap(dev, r.pick(DIRS), DMA_BASE + r.int(DMA_SLOTS) * 0x800 + 0x400, r.pick(SIZES))],
      [3, () => { const s = this.someLive(); return s ? this.unmap(s.dev, s.dir, s.dma, s.size + 1 + r.int(100)) : false; }],
      [3, () => { const s = this.someLive(); return s ? this.unmap(s.dev, this.otherDir(s.dir), s.dma, s.size) : false; }],
      [2, () => this.unmap(dev, r.pick(DIRS), 'error', r.pick(SIZES))],
      // Syncs: inside at an offset, reaching past the end, another direction, of unmapped or unknown memory.
      [3, () => { const s = this.someLive((x) => x.size >= 32); return s ? this.sync(s.dev, s.dir, s.dma + 16, r.int(s.size)) : false; }],
      [3, () => { const s = this.someLive(); return s ? this.sync(s.dev, s.dir, s.dma, s.size + 1 + r.int(64)) : false; }],
      [3, () => { const s = this.someLive((x) => x.dir !== 'BIDIRECTIONAL'); return s ? this.sync(s.dev, this.otherDir(s.dir), s.dma, r.int(s.size + 1)) : false; }],
      [2, () => { const s = this.someReleased(); return s ? this.sync(s.dev, s.dir, s.dma, s.size) : false; }],
      [2, () => this.sync(dev, r.pick(DIRS), this.freshDma(dev) + 0x200, 16)],
      // Maps: the same dma address again, into a held cache line, an identity mapping's memory again, failed.
      [3, () => { const s = this.someLive(); return s ? this.map(s.dev, r.pick(DIRS), s.dma, r.pick(SIZES), this.freshPhys()) : false; }],
      [4, () => this.mapIntoHeldLine()],
      [3, () => this.remapIdentity()],
      [2, () => this.map(dev, r.pick(DIRS), 'error', r.pick(SIZES), this.freshPhys())],
      // Scatter-gather lists, bounces, frees of a streaming mapping, allocations gone wrong.
      [4, () => this.mapSg(dev)],
      [3, () => this.unmapSg()],
      [2, () => this.syncSg()],
      [3, () => this.bounce(dev, true)],
      [1, () => this.bounce(dev, false)],
      [2, () => this.freeStreaming()],
      [2, () => this.freeWrongly()],
      [2, () => this.allocWrongly(dev)],
      [1, () => this.lost()],
    ]);
  }

  private mapIntoHeldLine(): boolean {
    const r = this.r;
    const lines = [...this.held.keys()];
    if (!lines.length) return false;
    const line = r.pick(lines);
    const dev = r.pick(this.o.devices);
    const phys = line * this.o.lineSize + r.pick([0, 8, Math.min(32, this.o.lineSize - 8)]);
    this.map(dev, r.pick(['FROM_DEVICE', 'BIDIRECTIONAL', 'NONE', 'TO_DEVICE']), dev === this.o.identity ? phys : this.freshDma(dev), r.pick(SIZES), phys);
    return true;
  }

  /** A dma-direct mapping's memory mapped again with no unmap (the first is taken as dropped), or its address, or its line. */
  private remapIdentity(): boolean {
    const id = this.o.identity;
    const s = id === undefined ? undefined : this.someLive((x) => x.dev === id);
    if (!s) return false;
    const phys = this.r.chance(0.5) ? s.phys : s.phys + 8;
    this.map(s.dev, this.r.pick(['FROM_DEVICE', 'BIDIRECTIONAL', 'TO_DEVICE']), phys, this.r.pick(SIZES), phys);
    return true;
  }

  private mapSg(dev: string): boolean {
    const r = this.r;
    const n = 1 + r.int(3);
    const dmas: number[] = [], sizes: number[] = [], phys: number[] = [];
    for (let i = 0; i < n; i++) {
      const clash = this.someLive((x) => x.dev === dev);
      const held = [...this.held.keys()];
      const p = held.length && r.chance(0.4) ? r.pick(held) * this.o.lineSize + 16 : this.freshPhys();
      dmas.push(clash && r.chance(0.4) ? clash.dma : dev === this.o.identity ? p : this.freshDma(dev));
      sizes.push(r.pick([0x200, 0x1000, 0x2000]));
      phys.push(p);
    }
    const dir = r.pick(DIRS);
    // IOMMU merging: more entries passed than mapped (nents=3/3 ents=1/1), now and then.
    const ents = r.chance(0.2) && n > 1 ? 1 : n;
    const list = (xs: number[]): string => `{${xs.map((x) => '0x' + hx(x)).join(',')}}`;
    this.emit('dma_map_sg', `${named(dev)} dir=${dir} nents=${n}/${n} ents=${ents}/${ents} dma_addrs=${list(dmas.slice(0, ents))} sizes=${list(sizes.slice(0, ents))} phys_addrs=${list(phys)} attrs=${r.pick(ATTRS)}`);
    for (const d of dmas.slice(0, ents)) {
      const s = this.liveOf(dev).get(d);
      if (s) this.forget(s);
      this.touch(dev, d);
    }
    phys.forEach((p) => this.cachelines.add(this.lineOf(p)));
    this.sgs.push({ dev, dmas: dmas.slice(0, ents), sizes: sizes.slice(0, ents), phys, dir });
    return true;
  }

  private unmapSg(): boolean {
    const r = this.r;
    const list = (xs: number[]): string => `{${xs.map((x) => '0x' + hx(x)).join(',')}}`;
    const how = r.int(4);
    if (how === 0 && this.o.identity !== undefined) {
      // An sg unmap of a dma-direct single mapping: released by the wrong function, and kept.
      const s = this.someLive((x) => x.dev === this.o.identity);
      if (!s) return false;
      this.emit('dma_unmap_sg', `${named(s.dev)} dir=${s.dir} phys_addrs=${list([s.phys])} attrs=`);
      return true;
    }
    const pool = how === 1 ? this.sgsGone : this.sgs;
    if (!pool.length) return false;
    const i = r.int(pool.length);
    const sg = pool[i];
    const phys = r.chance(0.2) ? [...sg.phys, this.freshPhys()] : sg.phys;
    this.emit('dma_unmap_sg', `${named(sg.dev)} dir=${r.chance(0.2) ? this.otherDir(sg.dir) : sg.dir} phys_addrs=${list(phys)} attrs=`);
    if (pool === this.sgs) {
      this.sgs.splice(i, 1);
      this.sgsGone.push(sg);
      let rel = this.released.get(sg.dev);
      if (!rel) this.released.set(sg.dev, (rel = []));
      for (let k = 0; k < sg.dmas.length; k++) rel.push({ dev: sg.dev, dma: sg.dmas[k], size: sg.sizes[k], phys: sg.phys[k], dir: sg.dir });
    }
    return true;
  }

  private syncSg(): boolean {
    const r = this.r;
    const sg = this.sgs.length ? r.pick(this.sgs) : undefined;
    if (!sg) return false;
    const list = (xs: number[]): string => `{${xs.map((x) => '0x' + hx(x)).join(',')}}`;
    const sizes = sg.sizes.map((s) => (r.chance(0.2) ? s + 0x100 : s));
    this.emit(`dma_sync_sg_for_${r.pick(['cpu', 'device'])}`, `${named(sg.dev)} dir=${r.chance(0.2) ? this.otherDir(sg.dir) : sg.dir} dma_addrs=${list(sg.dmas)} sizes=${list(sizes)}`);
    return true;
  }

  /** A swiotlb bounce, and mostly its map (its dma address a slot), a clean event or two later. */
  private bounce(dev: string, mapped: boolean): boolean {
    const r = this.r;
    const phys = this.freshPhys();
    const size = r.pick(SIZES);
    this.emit('swiotlb_bounced', `dev_name: ${dev} dma_mask=ffffffffffffffff dev_addr=${hx(phys)} size=${size} FORCE`);
    if (!mapped) return true;
    if (r.chance(0.5)) this.clean();
    this.map(dev, r.pick(DIRS), SLOT_BASE + r.int(64) * 0x800, size, phys);
    return true;
  }

  private freeStreaming(): boolean {
    const s = this.someLive();
    if (!s) return false;
    this.emit('dma_free', `${named(s.dev)} dir=BIDIRECTIONAL dma_addr=${hx(s.dma)} size=${s.size} virt_addr=00000000deadbeef attrs=`);
    this.forget(s);
    return true;
  }

  /** A free twice, of nothing allocated, or with another size or cpu address than its allocation. */
  private freeWrongly(): boolean {
    const r = this.r;
    const gone = [...this.freed].flatMap(([dev, fs]) => fs.map((f) => ({ dev, ...f })));
    const live = [...this.coherent].flatMap(([dev, m]) => [...m].map(([dma, a]) => ({ dev, dma, ...a })));
    const a = r.chance(0.5) && gone.length ? r.pick(gone) : live.length ? r.pick(live) : undefined;
    const dev = a?.dev ?? r.pick(this.o.devices);
    const dma = a?.dma ?? COHERENT_BASE + 0x800;
    const size = a && r.chance(0.5) ? a.size : 4096;
    const virt = a && r.chance(0.5) ? a.virt : '00000000feedface';
    this.emit('dma_free', `${named(dev)} dir=BIDIRECTIONAL dma_addr=${hx(dma)} size=${size} virt_addr=${virt} attrs=`);
    this.coherent.get(dev)?.delete(dma);
    return true;
  }

  /** An allocation of an address allocated already, of a live streaming mapping's address, or one that failed. */
  private allocWrongly(dev: string): boolean {
    const r = this.r;
    const how = r.int(3);
    if (how === 0) {
      const mine = [...(this.coherent.get(dev)?.keys() ?? [])];
      if (!mine.length) return false;
      this.coherent.get(dev)!.delete(mine[0]);
      return this.alloc(dev, mine[0]);
    }
    if (how === 1) {
      const s = this.someLive((x) => x.dev === dev);
      return s !== undefined && this.alloc(dev, s.dma);
    }
    this.emit('dma_alloc', r.chance(0.5)
      ? `${named(dev)} dir=BIDIRECTIONAL dma_addr=0 size=4096 virt_addr=0000000000000000 flags=GFP_KERNEL attrs=`
      : `${named(dev)} dir=BIDIRECTIONAL dma_addr=${ERROR} size=4096 virt_addr=(null) flags=GFP_KERNEL attrs=`);
    return true;
  }
}

// ---- The state a checker holds, as plain values

/** Where to look: every dma address a streaming event of each device named, every cache line a map touched. */
interface Probes {
  dmas: Map<string, Set<number>>;
  cachelines: Set<number>;
}

function mergedProbes(...all: Probes[]): Probes {
  const out: Probes = { dmas: new Map(), cachelines: new Set() };
  for (const p of all) {
    for (const [dev, dmas] of p.dmas) out.dmas.set(dev, new Set([...(out.dmas.get(dev) ?? []), ...dmas]));
    for (const l of p.cachelines) out.cachelines.add(l);
  }
  return out;
}

function plainMapping(m: StreamingMapping): unknown {
  return {
    id: m.id, kind: m.kind, device: m.device, dir: m.dir, attrs: m.attrs, nents: m.nents, truncated: m.truncated, bounced: m.bounced,
    identity: m.identity, origin: { ...m.origin }, segments: m.segments.map((s) => ({ index: s.index, dma: s.dma, size: s.size, phys: s.phys })),
  };
}

/**
 * Everything of `c` that a check or a report reads, probed at every address and cache line `probes` ever named.
 * Mapping objects are made on a clone: making them changes how the checker holds its mappings (numbers or
 * objects), and the checkers compared must go on holding them as they did.
 */
function snapshot(c: TraceChecker, probes: Probes): unknown {
  const view = c.clone(() => undefined);
  const sorted = (xs: Iterable<number>): number[] => [...xs].sort((a, b) => a - b);
  const coherentProbes = sorted(Array.from({ length: COHERENT_SLOTS }, (_, k) => COHERENT_BASE + k * 0x1000));
  return {
    devices: [...c.devices.values()].map((d) => ({
      name: d.name,
      index: d.index,
      live: d.live,
      stats: { ...d.stats, longest: d.stats.longest && { ...d.stats.longest } },
      mappings: view.devices.get(d.name)!.mappings().map(plainMapping),
      released: sorted(probes.dmas.get(d.name) ?? []).map((a) => [a, d.unmapped.get(a) ?? null]),
      remembered: d.unmapped.size,
      releasedSg: d.unmappedSg.size,
      coherent: [...d.coherent.values()].map((a) => ({ ...a, origin: { ...a.origin } })),
      freed: coherentProbes.map((a) => [a, d.freed.get(a) ?? null]),
      dropped: [...d.dropped.values()].map(plainMapping),
      pendingBounces: d.pendingBounces.size,
      lastMapError: d.lastMapError ?? null,
    })),
    lines: sorted(probes.cachelines).map((l) => [l, c.cachelines.holder(l) ?? null]),
    iommu: { live: c.iommu.byIova.values(), maps: c.iommu.maps, unmaps: c.iommu.unmaps, peakLive: c.iommu.peakLive },
    nextId: c.nextId,
    epoch: c.epoch,
    lostEvents: c.lostEvents,
  };
}

// ---- 1. Real captures

test('on every real capture, the report is the same with the common path as without it, on this thread and on reading threads', () => {
  let withThreads = 0;
  for (const name of captures()) {
    const file = path.join(TRACES, name);
    for (const fromBoot of [false, true]) {
      const common = checkTrace(TraceCursor.open(file), file, { fromBoot }, { thread: false, commonPath: true });
      assertSameReports(common, checkTrace(TraceCursor.open(file), file, { fromBoot }, { thread: false, commonPath: false }), `${name} (fromBoot ${fromBoot})`);
      // Reading threads: batches of each thread's string table, lines counted from their chunk (`lineBase`).
      if (fromBoot) continue;
      const threaded = checkTrace(TraceCursor.open(file), file, { fromBoot }, { thread: true, commonPath: true });
      assertSameReports(threaded, common, `${name} on reading threads`);
      assertSameReports(checkTrace(TraceCursor.open(file), file, { fromBoot }, { thread: true, commonPath: false }), common, `${name} on reading threads, without the common path`);
      withThreads++;
    }
  }
  assert.equal(withThreads, captures().length);
});

test('the common path checks most events of the real captures: on the IOMMU ones, every event to the end', () => {
  // Else the comparison above would hold by the common path handing over at once.
  let checked = 0, events = 0;
  const wholly: string[] = [];
  for (const name of captures()) {
    const text = fs.readFileSync(path.join(TRACES, name), 'latin1');
    const run = runCommon(text, {}, 4096);
    checked += run.checked;
    events += [...TraceCursor.fromText(text)].filter((r) => r.kind === 'event').length;
    if (run.stopLine === undefined) wholly.push(name);
  }
  assert.ok(wholly.includes('vblk-virtio-iommu.trace.txt') && wholly.includes('e1000e-intel-iommu.trace.txt'), `checked to the end: ${wholly.join(', ')}`);
  assert.ok(checked > events / 3, `the common path checked ${checked} of ${events} events`);
});

test('a capture of several MiB read on reading threads: the common path goes on across the chunks and the report is the same', () => {
  // Clean for most of 3 MiB (chunks of 1 MiB, each read by a thread with its own string table), then faulty.
  const r = new Rng(7);
  const cap = new Capture(r, { devices: ['0000:00:02.0', '0000:00:03.0', 'nvme0'], identity: 'nvme0', lineSize: 64, slowShare: 0.02, maxLive: 60 });
  while (cap.lines.length < 26_000) cap.clean();
  for (let i = 0; i < 400; i++) cap.fault();
  const file = tempTrace(cap.lines, 'threads.trace.txt');
  try {
    assert.ok(fs.statSync(file).size > 2.5 * 2 ** 20);
    const alone = checkTrace(TraceCursor.open(file), file, {}, { thread: false, commonPath: false });
    assertSameReports(checkTrace(TraceCursor.open(file), file, {}, { thread: true, commonPath: true }), alone, 'on reading threads');
    assertSameReports(checkTrace(TraceCursor.open(file), file, {}, { thread: false, commonPath: true }), alone, 'on this thread');
    assert.ok(alone.findings.some((f) => f.kind !== 'window' && f.line > 26_000), 'faults after the clean stretch');
    const run = runCommon(cap.text, {}, 4096);
    assert.ok(run.stopLine !== undefined && run.stopLine > 26_000, `the common path handed over at line ${run.stopLine}`);
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
});

// ---- 2. Seeded random captures

test('300 seeded random captures, mostly clean for a long stretch and then faulty: the same report with the common path as without it', () => {
  const DEVICE_NAMES = ['0000:00:02.0', '0000:00:03.0', 'nvme0', 'udmabuf', ''];
  let handedOver = 0, rich = 0;
  const checkedBefore: number[] = [];
  for (let seed = 1; seed <= 300; seed++) {
    const r = new Rng(seed);
    const devices = DEVICE_NAMES.slice(0, 4).filter(() => r.chance(0.7)).slice(0, 3);
    for (const name of DEVICE_NAMES) if (devices.length < 2 && !devices.includes(name)) devices.push(name);
    // Now and then a device whose name is empty (`dev: x` prints none) or whose cache lines are not 64 bytes.
    if (r.chance(0.03)) devices.push('');
    const lineSize = r.pick([64, 64, 64, 64, 128, 32, 48]);
    const cap = new Capture(r, {
      devices, identity: r.chance(0.5) ? r.pick(devices) : undefined, lineSize, slowShare: r.pick([0, 0.05, 0.2]), maxLive: 8 + r.int(50),
    });
    const total = 50 + r.int(351);
    const cleanShare = r.chance(0.8) ? 0.6 + 0.35 * r.next() : 0.3 * r.next();
    while (cap.lines.length < total * cleanShare) cap.clean();
    while (cap.lines.length < total) cap.fault();
    const options: CheckOptions = lineSize === 64 ? {} : { cacheLine: lineSize };
    assertSameBothWays(cap.text, `seed ${seed}`, options);
    const run = runCommon(cap.text, options, 1 + r.int(64));
    if (run.stopLine !== undefined) handedOver++;
    checkedBefore.push(run.checked);
    let live = 0, released = 0;
    for (const d of run.checker.devices.values()) {
      live += d.live;
      released += d.stats.unmaps;
    }
    if (run.stopLine !== undefined && live >= 10 && released >= 10) rich++;
  }
  // The property means something only if the hand-over happens, mostly with much to hand over.
  checkedBefore.sort((a, b) => a - b);
  assert.ok(handedOver >= 270, `the common path handed over in ${handedOver} of 300 captures`);
  assert.ok(rich >= 150, `${rich} hand-overs with 10 live mappings and 10 unmaps or more`);
  assert.ok(checkedBefore[150] >= 60, `median of events checked before the hand-over: ${checkedBefore[150]}`);
});

// ---- 3. Release logs past their generations

/**
 * `pairs` clean map/unmap pairs of device `dev`, each at its own address (pair k at `dmaOf(k)`, from `base`), a
 * microsecond apart from `startUs` on, as lines; `unmapOf(k, us)` unmaps pair k's address again, as it was mapped.
 */
function pairsCapture(pairs: number, dev = '0000:00:02.0', startUs = 5e6, base = 0x10000000): { lines: string[]; dmaOf: (k: number) => number; unmapOf: (k: number, us: number) => string; endUs: number } {
  const dmaOf = (k: number): number => base + k * 0x1000;
  const dirOf = (k: number): string => (k % 3 === 0 ? 'TO_DEVICE' : 'FROM_DEVICE');
  const unmapOf = (k: number, us: number): string => ev((startUs + us) / 1e6, 'dma_unmap_phys', `${named(dev)} dir=${dirOf(k)} dma_addr=${hx(dmaOf(k))} size=${512 + (k % 7)} attrs=`);
  const lines: string[] = [];
  for (let k = 0; k < pairs; k++) {
    lines.push(ev((startUs + 2 * k) / 1e6, 'dma_map_phys', `${named(dev)} dir=${dirOf(k)} dma_addr=${hx(dmaOf(k))} size=${512 + (k % 7)} phys_addr=${hx(0x2000000 + (k % 256) * 64)} attrs=`));
    lines.push(unmapOf(k, 2 * k + 1));
  }
  return { lines, dmaOf, unmapOf, endUs: startUs + 2 * pairs };
}

/** The addresses a `ReleaseLog` of two generations of `share` remembers after releases of `released` in order. */
function remembered(released: number[], share: number): Set<number> {
  const young = (released.length - 1) % share + 1;
  const kept = released.length <= share ? released.length : young + share;
  return new Set(released.slice(released.length - kept));
}

test('release logs past their generations (2 x 8192 kept): a second unmap of an address released recently is a double unmap, of one forgotten undecided', () => {
  const G = 8192;
  for (const pairs of [2 * G, 2 * G + 1, 3 * G + 5, 20_000]) {
    const { lines, dmaOf, unmapOf } = pairsCapture(pairs);
    // The oldest address still remembered, the newest forgotten, the first, the last: each unmapped again. Every
    // second unmap is a release too: what the log remembers shifts with them, as `remembered` follows.
    const released = Array.from({ length: pairs }, (_, k) => dmaOf(k));
    const oldestKept = pairs - [...remembered(released, G)].length;
    const queries = [oldestKept, oldestKept - 1, 0, pairs - 1, oldestKept + 1].filter((k) => k >= 0);
    const expected: string[] = [];
    const expectedFromBoot: string[] = [];
    const before = lines.length;
    queries.forEach((k, i) => {
      const line = before + i + 1;
      const known = remembered(released, G).has(dmaOf(k));
      expected.push(known ? `api-misuse/double-unmap@${line}` : `window/mapped-before-trace@${line}`);
      expectedFromBoot.push(known ? `api-misuse/double-unmap@${line}` : `api-misuse/unmap-not-mapped@${line}`);
      released.push(dmaOf(k));
      lines.push(unmapOf(k, 2 * pairs + i));
    });
    const text = lines.join('\n') + '\n';
    const [common, commonFromBoot] = assertSameBothWays(text, `${pairs} pairs`);
    const keys = (r: TraceReport): string[] => r.findings.map((f) => `${f.kind}/${f.detail}@${f.line}`);
    assert.deepEqual(keys(common), expected, `${pairs} pairs`);
    assert.deepEqual(keys(commonFromBoot), expectedFromBoot, `${pairs} pairs, from boot`);
    // The common path checked every pair and handed over at the first second unmap: the log was its own.
    const run = runCommon(text, {}, 4096);
    assert.deepEqual([run.checked, run.stopLine], [2 * pairs, 2 * pairs + 1]);
  }
});

// ---- 4. The state at the hand-over

test('right after the hand-over, the checker holds the state the checker alone holds after the same events, and later events find the same in it', () => {
  const configs: { seed: number; options: CheckOptions; lineSize: number }[] = [
    { seed: 11, options: {}, lineSize: 64 },
    { seed: 12, options: { fromBoot: true, cacheLine: 128 }, lineSize: 128 },
  ];
  for (const { seed, options, lineSize } of configs) {
    const r = new Rng(seed);
    // The first device is met by an allocation (the checker numbers it first), the common path maps for all three.
    const devices = ['0000:00:1f.2', '0000:00:02.0', 'nvme0'];
    const cap = new Capture(r, { devices, identity: 'nvme0', lineSize, slowShare: 0.05, maxLive: 45 });
    cap.alloc(devices[0]);
    for (let i = 0; i < 8; i++) cap.iommuMap();
    while (cap.lines.length < 3000) cap.clean();
    // More than a generation of releases on one device: the log handed over has two.
    const before = pairsCapture(8192 + 300, devices[1], cap.us + 1);
    cap.lines.push(...before.lines);
    cap.us = before.endUs;
    while (cap.lines.length < 23_000) cap.clean();
    // More than 16 live mappings per device (the module's tables grow) and many IOMMU mappings, fewer than at their peak.
    for (const dev of devices) while (cap.liveOf(dev).size < 30) cap.cleanMap(dev);
    while (cap.iommu.size < 130) cap.iommuMap();
    for (let i = 0; i < 10; i++) cap.iommuUnmap();
    const beforeProbes: Probes = { dmas: new Map([[devices[1], new Set(Array.from({ length: 8492 }, (_, k) => before.dmaOf(k)))]]), cachelines: new Set() };
    const text = cap.text;

    const run = runCommon(text, options, 37);
    assert.equal(run.stopLine, undefined, 'the events are clean: nothing is handed over before the end');
    const alone = runAlone(text, options);
    const probesThen = mergedProbes(cap, beforeProbes);
    assert.deepStrictEqual(snapshot(run.checker, probesThen), snapshot(alone.checker, probesThen), `seed ${seed}: the state handed over`);
    assert.deepStrictEqual(run.findings, alone.findings);

    // What the test means: state of every kind was handed over.
    const s = snapshot(alone.checker, probesThen) as { devices: { name: string; live: number; mappings: { origin: { epoch: number } }[]; released: [number, unknown][] }[]; iommu: { live: unknown[] } };
    for (const d of s.devices) assert.ok(d.live > 16, `${d.name}: ${d.live} live`);
    assert.ok(new Set(s.devices.flatMap((d) => d.mappings.map((m) => m.origin.epoch))).size >= 3, 'live mappings of several epochs');
    assert.ok(s.devices.every((d) => d.released.filter(([, rel]) => rel !== null).length > 20), 'releases remembered on every device');
    assert.ok(s.iommu.live.length >= 100 && alone.checker.iommu.peakLive > s.iommu.live.length);
    assert.ok(alone.checker.devices.get(devices[1])!.unmapped.size > 8192, 'two generations of releases');
    assert.ok(run.checked > 19_000 && run.slowChecked > 20, `checked ${run.checked}, of them ${run.slowChecked} read by the general parser`);
    assert.ok(alone.checker.epoch >= 5);

    // Then the same events to both: faults against the handed-over state, more than a generation of releases on
    // one device (the log's generations must line up), second unmaps of what it released early, and the end.
    const more = new Capture(new Rng(seed + 100), { devices, identity: 'nvme0', lineSize, slowShare: 0, maxLive: 45 });
    more.us = cap.us;
    for (const [dev, live] of cap.live) for (const [dma, m] of live) more.liveOf(dev).set(dma, m);
    for (const [line, m] of cap.held) more.held.set(line, m);
    for (const [dev, rel] of cap.released) more.released.set(dev, [...rel]);
    for (const [dev, allocs] of cap.coherent) more.coherent.set(dev, new Map(allocs));
    for (const [iova, size] of cap.iommu) more.iommu.set(iova, size);
    for (let i = 0; i < 1500; i++) more.fault();
    // Releases of one device at addresses of their own, then second unmaps of what it released first.
    const after = pairsCapture(8192 + 100, devices[1], more.us + 1, 0x20000000);
    const early = [...cap.released.get(devices[1])!].slice(0, 30).map((m) => ev(after.endUs / 1e6 + 1, 'dma_unmap_phys', `${devices[1]} dir=${m.dir} dma_addr=${hx(m.dma)} size=${m.size} attrs=`));
    const heavy = after.lines;
    const later = [...more.lines, ...heavy, ...early];
    for (const c of [run, alone]) {
      feed(c.checker, later, alone.lines + 1, alone.offset);
      c.checker.finish();
    }
    const probes = mergedProbes(cap, more, beforeProbes, { dmas: new Map([[devices[1], new Set(Array.from({ length: 8292 }, (_, k) => after.dmaOf(k)))]]), cachelines: new Set() });
    assert.deepStrictEqual(run.findings, alone.findings, `seed ${seed}: what later events find`);
    assert.deepStrictEqual(snapshot(run.checker, probes), snapshot(alone.checker, probes), `seed ${seed}: the state at the end`);
    assert.ok(alone.findings.length > 50);
  }
});

// ---- 5. Common events only the general parser reads

/** Whether the fast path leaves `line` to the general parser, which reads it as a common event. */
function slowCommon(line: string): DmaEvent['op'] | undefined {
  const cursor = TraceCursor.fromText(line + '\n');
  const batch = new EventBatch(4);
  assert.ok(cursor.nextBatch(batch));
  if (batch.records[R_CODE] >= 0) return undefined;
  const r = parseLine(line, 0, line.length, 1, 0);
  return r?.kind === 'event' ? decodeEvent(r).op : undefined;
}

test('common events only the general parser reads (TGID column, hex size, attrs: form, unusual fields) still go through the common path, with the same report', () => {
  const D = '0000:00:02.0';
  const tgid = (ts: number, event: string, body: string): string => `     kworker/0:1-42      (     42) [000] ..... ${ts.toFixed(6).padStart(12)}: ${event}: ${body}`;
  const slow = [
    // The first event of every kind is one of these: the events' order in the report is the order met.
    tgid(1, 'dma_map_phys', `${D} dir=FROM_DEVICE dma_addr=79100000 size=1522 phys_addr=2788040 attrs=`),
    ev(2, 'dma_sync_single_for_cpu', `${D} dir=FROM_DEVICE dma_addr=79100000 size=0x40`),
    ev(3, 'map', 'IOMMU: iova=0x00000000fffff000 - 0x0000000100000000 paddr=0x000000000c602000 size=0x1000'),
    tgid(4, 'unmap', 'IOMMU: iova=0x00000000fffff000 - 0x0000000100000000 size=4096 unmapped_size=4096'),
    ev(5, 'dma_map_phys', `${D} dir=FROM_DEVICE dma_addr=79100800 size=0x200 phys_addr=27887c0 attrs: CACHE_CLEAN`),
    ev(6, 'dma_map_phys', `x: y dir=BIDIRECTIONAL dma_addr=79101000 size=64 phys_addr=2789000 attrs=`),
    tgid(7, 'dma_unmap_phys', `${D} dir=FROM_DEVICE dma_addr=79100000 size=1522 attrs=`),
  ];
  assert.deepEqual(slow.map(slowCommon), ['map', 'sync', 'iommu_map', 'iommu_unmap', 'map', 'map', 'unmap']);
  const hot = [
    ev(8, 'dma_map_phys', `${D} dir=FROM_DEVICE dma_addr=79101800 size=512 phys_addr=2789040 attrs=`),
    ev(9, 'dma_sync_single_for_device', `${D} dir=FROM_DEVICE dma_addr=79100800 size=512`),
    ev(10, 'map', 'IOMMU: iova=0x00000000ffffe000 - 0x00000000fffff000 paddr=0x000000000c603000 size=4096'),
    ev(11, 'unmap', 'IOMMU: iova=0x00000000ffffe000 - 0x00000000fffff000 size=4096 unmapped_size=4096'),
  ];
  assert.deepEqual(hot.map(slowCommon), [undefined, undefined, undefined, undefined]);
  const faults = [
    // A second unmap of what a slow line unmapped; a map into the line a slow CACHE_CLEAN map holds (CACHE_CLEAN
    // too: no overlap, if its attrs were handed over); a sync inside the slow map of the device with no name;
    // a slow unmap with another size; the end, where the slow maps still live are reported.
    ev(12, 'dma_unmap_phys', `${D} dir=FROM_DEVICE dma_addr=79100000 size=1522 attrs=`),
    ev(13, 'dma_map_phys', `${D} dir=FROM_DEVICE dma_addr=79102000 size=64 phys_addr=27887e0 attrs=CACHE_CLEAN`),
    ev(14, 'dma_map_phys', `${D} dir=FROM_DEVICE dma_addr=79102800 size=64 phys_addr=2789060 attrs=`),
    ev(15, 'dma_sync_single_for_cpu', `x: y dir=BIDIRECTIONAL dma_addr=79101010 size=16`),
    tgid(16, 'dma_unmap_phys', `${D} dir=FROM_DEVICE dma_addr=79101800 size=0x100 attrs=`),
  ];
  const lines = [...slow, ...hot, ...faults];
  const [report] = assertSameBothWays(lines.join('\n') + '\n', 'slow common events');
  // Ties in count keep the order first met (line 2, 3, 4): on a slow line each.
  assert.deepEqual(Object.keys(report.events), ['dma_map_phys', 'dma_unmap_phys', 'dma_sync_single_for_cpu', 'map', 'unmap', 'dma_sync_single_for_device']);
  assert.deepEqual(report.findings.filter((f) => f.kind !== 'window').map((f) => `${f.detail}@${f.line}`),
    ['double-unmap@12', 'overlapping-mapping@14', 'size-mismatch@16']);
  // The common path took them all (the general parser's through `route`) and stopped at the first fault.
  const run = runCommon(lines.join('\n') + '\n');
  assert.deepEqual([run.stopLine, run.slowChecked, run.checked], [12, slow.length, slow.length + hot.length]);

  // A slow line as the fault: the common path stops at it, for the checker.
  const slowFault = [...slow, ...hot, tgid(12, 'dma_unmap_phys', `${D} dir=TO_DEVICE dma_addr=79100800 size=512 attrs=`)];
  const [r2] = assertSameBothWays(slowFault.join('\n') + '\n', 'a slow fault');
  assert.deepEqual(r2.findings.filter((f) => f.kind !== 'window').map((f) => `${f.detail}@${f.line}`), ['direction-mismatch@12']);
  assert.equal(runCommon(slowFault.join('\n') + '\n').stopLine, 12);
});

// ---- Rounding as JavaScript rounds

test('an unmap less than half a microsecond before its map (timestamps past microseconds): the longest lifetime is -0 both ways', () => {
  const text = [
    '  kworker/0:1-42 [000] .....    1.0000004: dma_map_phys: dev dir=TO_DEVICE dma_addr=1000 size=64 phys_addr=2000 attrs=',
    '  kworker/0:1-42 [000] .....    1.0000000: dma_unmap_phys: dev dir=TO_DEVICE dma_addr=1000 size=64 attrs=',
  ].join('\n') + '\n';
  const [common, alone] = bothWays(text);
  assert.equal(JSON.stringify(common), JSON.stringify(alone));
  assert.ok(Object.is(alone.devices[0].longestLived?.seconds, -0));
  assert.deepStrictEqual(common, alone);
});

// ---- The common path's memory budget

test('past its memory budget, the common path declines the event that would need more, and the checker takes over with the same report', () => {
  const budget = 1 << 20;
  const D = '0000:00:04.0';
  // 6,000 mappings live at once: the live table would grow past 1 MiB.
  const n = 6000;
  const lines: string[] = [];
  for (let k = 0; k < n; k++) lines.push(ev(1 + k * 1e-6, 'dma_map_phys', `${D} dir=TO_DEVICE dma_addr=${hx(0x40000000 + k * 0x1000)} size=4096 phys_addr=${hx(0x80000000 + k * 0x1000)} attrs=`));
  for (let k = 0; k < n; k++) lines.push(ev(2 + k * 1e-6, 'dma_unmap_phys', `${D} dir=TO_DEVICE dma_addr=${hx(0x40000000 + k * 0x1000)} size=4096 attrs=`));
  lines.push(ev(3, 'dma_unmap_phys', `${D} dir=TO_DEVICE dma_addr=${hx(0x40000000)} size=4096 attrs=`));
  const text = lines.join('\n') + '\n';
  const run = runCommon(text, {}, 64, budget);
  assert.ok(run.stopLine !== undefined && run.stopLine > 100 && run.stopLine <= n, `the common path stopped at a map, for room (line ${run.stopLine})`);
  assert.equal(runCommon(text).stopLine, 2 * n + 1, 'with its usual budget it checks every map and unmap');
  const [limited, alone] = [checkTrace(TraceCursor.fromText(text), 't', {}, { thread: false, budget }), checkTrace(TraceCursor.fromText(text), 't', {}, { thread: false, commonPath: false })];
  assertSameReports(limited, alone, 'mappings past the budget');
  assert.deepEqual(limited.findings.filter((f) => f.kind !== 'window').map((f) => `${f.detail}@${f.line}`), [`double-unmap@${2 * n + 1}`]);

  // 4,000 devices: each takes room before its first mapping.
  const many: string[] = [];
  for (let k = 0; k < 4000; k++) many.push(ev(1 + k * 1e-6, 'dma_map_phys', `0000:01:${hx(k)}.0 dir=FROM_DEVICE dma_addr=${hx(0x1000 * (k + 1))} size=64 phys_addr=${hx(0x1000 * (k + 1))} attrs=`));
  const manyText = many.join('\n') + '\n';
  const devices = runCommon(manyText, {}, 64, budget);
  assert.ok(devices.stopLine !== undefined && devices.stopLine > 10 && devices.stopLine < 4000, `the common path stopped at a new device, for room (line ${devices.stopLine})`);
  assertSameReports(checkTrace(TraceCursor.fromText(manyText), 't', {}, { thread: false, budget }), checkTrace(TraceCursor.fromText(manyText), 't', {}, { thread: false, commonPath: false }), 'devices past the budget');
});

// ---- What the module and the checker must agree on

test('the layout the common path shares with its host agrees with the checker: directions, and releases a device remembers', () => {
  assert.equal(DIRECTIONS[TO_DEVICE], 'TO_DEVICE');
  assert.equal(DIRECTIONS[BIDIRECTIONAL], 'BIDIRECTIONAL');
  assert.equal(RELEASES, MEMORY_PER_DEVICE);
});
