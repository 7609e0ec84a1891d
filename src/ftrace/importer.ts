// Turns a capture's DMA calls into a `.dmabuf` scenario: devices declared from the trace's device names, `phys()`
// ranges for the buffers, one statement per event with its line, timestamp and task as a comment, so that a user
// can add the CPU and device accesses a trace cannot show and run the full coherency checks.
import { notACaptureReason } from './captureForms';
import { BoundedMap } from './boundedMap';
import { TraceChecker } from './checker';
import { MEMORY_PER_DEVICE } from './deviceState';
import { decodeEvent, type DmaEvent, type TraceDirection } from './events';
import { EventStream } from './eventStream';
import { DMA_MAPPING_ERROR } from './fields';
import { hasAttr, hex, type Segment, type StreamingMapping } from './mappings';
import { deviceIdentifiers } from './names';
import type { TraceCursor } from './reader';
import type { TraceRecord } from './record';

/** What a first pass learns about the devices, which the declarations need before any statement. */
interface DeviceTraits {
  iommu: boolean;
  dmaMaskBits: number;
}

interface Prepass {
  devices: Map<string, DeviceTraits>;
  swiotlbForced: boolean;
  events: number;
  malformed: number;
}

/** The file read is no capture (`notACaptureReason`): nothing was written. */
export class NotACaptureError extends Error {}

function traits(p: Prepass, name: string): DeviceTraits {
  let t = p.devices.get(name);
  if (!t) p.devices.set(name, (t = { iommu: false, dmaMaskBits: 64 }));
  return t;
}

/** Records read between two turns of the event loop: a long import stays interruptible (a signal's handler runs). */
const RECORDS_PER_TURN = 65536;

/** Hands every record of `cursor` (which it closes) to `body`, letting the event loop run now and then. */
async function eachRecord(cursor: TraceCursor, body: (r: TraceRecord) => void): Promise<void> {
  try {
    let n = 0;
    for (let r = cursor.next(); r; r = cursor.next()) {
      body(r);
      if (++n % RECORDS_PER_TURN === 0) await turn();
    }
  } finally {
    cursor.close();
  }
}

/** Yields to the event loop, so that a signal's handler may run. */
const turn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Reads the capture once for its devices: which sit behind an IOMMU, what their masks are, whether swiotlb is forced.
 * It needs no event's whole record, so it reads through the fast path (decoding ahead on a thread of its own for a
 * large file): a third of an import's time went to this pass on the general parser.
 */
async function surveyDevices(cursor: TraceCursor): Promise<Prepass> {
  const checker = new TraceChecker(() => undefined);
  const p: Prepass = { devices: new Map(), swiotlbForced: false, events: 0, malformed: 0 };
  const stream = new EventStream(cursor, (r) => {
    if (r.kind === 'malformed') p.malformed++;
    checker.apply(r);
  }, 'if-large');
  try {
    for (let n = 1; stream.advance(); n++) {
      const e = stream.event;
      stream.applyTo(checker);
      // Counted as check-trace counts them: a DMA event whose fields cannot be read is malformed.
      if (e.op === 'bad') p.malformed++;
      else p.events++;
      noteTraits(p, checker, e);
      if (n % RECORDS_PER_TURN === 0) await turn();
    }
  } finally {
    stream.close();
  }
  return p;
}

/** What event `e`, just applied to `checker`, tells of its device. */
function noteTraits(p: Prepass, checker: TraceChecker, e: DmaEvent): void {
  if (!('device' in e)) return;
  const t = traits(p, e.device);
  if (e.op === 'bounce') {
    p.swiotlbForced ||= e.forced;
    if (e.dmaMask > 0 && e.dmaMask < DMA_MAPPING_ERROR) t.dmaMaskBits = Math.min(t.dmaMaskBits, Math.ceil(Math.log2(e.dmaMask + 1)));
  }
  // A map whose dma address is not its physical address and did not bounce went through an IOMMU.
  const first = e.op === 'map' ? e.dma : e.op === 'map_sg' ? e.dmas[0] : undefined;
  const seg = first === undefined ? undefined : checker.device(e.device).byDma.get(first);
  if (seg && !seg.mapping.bounced && !seg.mapping.identity) t.iommu = true;
}

const SCENARIO_CALL: Record<string, string> = { coherent: 'dma_alloc_coherent' };

/** Writes the scenario for a capture read twice: `survey` and `main` are two cursors over the same file. */
export async function importTrace(survey: TraceCursor, main: TraceCursor, file: string, write: (text: string) => void): Promise<void> {
  const pre = await surveyDevices(survey);
  const notACapture = notACaptureReason(pre.malformed, pre.events);
  if (notACapture) {
    main.close();
    throw new NotACaptureError(notACapture);
  }
  const ids = deviceIdentifiers([...pre.devices.keys()]);
  write(`# Imported from ${file} by \`dmabuf import\`: one statement per DMA event of the trace, each with its\n`);
  write(`# trace line, timestamp, task-pid and CPU. Add the CPU and device accesses the trace cannot show\n`);
  write(`# (cpu.write, DEV.read, ...) and run \`dmabuf check\` for the full coherency checks.\n`);
  write(`platform x86_64${pre.swiotlbForced ? ' swiotlb=force' : ''}  # the captured machine (coherent DMA); try \`platform arm64\` for a noncoherent SoC\n`);
  for (const [name, t] of pre.devices) {
    const opts = `${t.iommu ? ' iommu' : ''}${t.dmaMaskBits < 64 ? ` dma_mask=${t.dmaMaskBits}` : ''}`;
    write(`device ${ids.get(name)}${opts}  # ${name}\n`);
  }
  await new ScenarioWriter(ids, write).run(main);
}

/** A single mapping or an allocation the trace released, with the handle the scenario gave it. */
type Released =
  | { kind: 'single' | 'sg' | 'coherent'; handle: string }
  /** A whole sg list, found by its first entry's phys as `dma_unmap_sg` names it: its entries' handles. */
  | { kind: 'sg-list'; entries: string[] };

/** Emits statements while a checker follows the trace, so that unmaps and syncs find the binding of their mapping. */
class ScenarioWriter {
  private readonly checker = new TraceChecker(() => undefined);
  private readonly bindings = new Map<number, string>();
  private readonly buffers = new Set<string>();
  private readonly coherent = new Map<string, string>();
  /**
   * What was released, by device and address: a second release or a sync of it names its old handle, so that
   * `check` decides the trace's double unmap, double free or sync after unmap as check-trace does. Bounded as the
   * checker's memory of releases.
   */
  private readonly released = new BoundedMap<string, Released>(MEMORY_PER_DEVICE);
  /** Mappings whose map was written and whose unmap was not, by id: the trace may end, or skip unmaps, before it. */
  private readonly open = new Map<number, StreamingMapping>();

  constructor(private readonly ids: Map<string, string>, private readonly write: (text: string) => void) {}

  async run(cursor: TraceCursor): Promise<void> {
    await eachRecord(cursor, (r) => this.record(r));
    this.closeWindow();
  }

  /**
   * What the trace leaves mapped or allocated is released at the end of the scenario, each release saying why: a
   * trace is a window (`check-trace` reports these as window information, not as leaks), and dma-direct skips the
   * unmaps it does not need. Without them `check` would report a leak for each, burying what the trace decides.
   */
  private closeWindow(): void {
    if (this.open.size === 0 && this.coherent.size === 0) return;
    this.write('# The trace ends here. It is a window: what it leaves mapped or allocated may be released after the capture\n');
    this.write('# stopped, and dma-direct skips the unmaps it does not need (dma_need_unmap() is false). The releases below\n');
    this.write('# are not in the trace: they let `dmabuf check` report what the trace decides; delete them to see leaks.\n');
    for (const m of this.open.values()) {
      const live = this.checker.device(m.device).byDma.get(m.segments[0].dma)?.mapping === m;
      const why = live ? `mapped at L${m.origin.line}, still mapped when the trace ended` : `mapped at L${m.origin.line}, never unmapped: its address was mapped again`;
      for (const l of this.releases(m)) this.write(`${l}  # ${why}\n`);
    }
    for (const [key, h] of this.coherent) this.write(`dma_free_coherent(${this.dev(key.slice(0, key.lastIndexOf(' ')))}, ${h})  # still allocated when the trace ended\n`);
  }

  /** The statements that release mapping `m` (one per segment of an sg list), as its unmap in the trace would. */
  private releases(m: StreamingMapping, size = m.segments[0].size, dir = m.dir, attrs = m.attrs): string[] {
    this.open.delete(m.id);
    if (m.kind === 'sg') {
      const entries: string[] = [];
      const out = this.perSegment(m, m.segments, (h, s) => {
        this.released.set(`${m.device} ${s.dma}`, { handle: h, kind: 'sg' });
        entries.push(h);
        return `dma_unmap_sg(${this.dev(m.device)}, ${h}, ${dir}${skip(attrs)})`;
      });
      this.released.set(`${m.device} list ${m.segments[0].phys}`, { kind: 'sg-list', entries });
      return out;
    }
    const h = this.bindings.get(m.id);
    if (!h) return [];
    this.released.set(`${m.device} ${m.segments[0].dma}`, { handle: h, kind: 'single' });
    return [`dma_unmap_single(${this.dev(m.device)}, ${h}, ${size}, ${dir}${skip(attrs)})`];
  }

  /** The release of `m` by `event`, which the checker takes for a release of the wrong kind (as dma-debug does). */
  private wrongRelease(event: string, m: StreamingMapping, what: string, instead: string): string[] {
    const h = this.bindings.get(m.id);
    return h ? [kindMismatch(event, h, what, instead), ...this.releases(m)] : [];
  }

  /** Frees the allocation the scenario calls `h` (at `key`, device and address). */
  private freeCoherent(key: string, device: string, h: string): string {
    this.coherent.delete(key);
    this.released.set(key, { handle: h, kind: 'coherent' });
    return `dma_free_coherent(${this.dev(device)}, ${h})`;
  }

  /** The handle of what the trace released at `key` as `kind`, and released again or synced now: the trace's bug. */
  private releasedAs(key: string, kind: 'single' | 'sg' | 'coherent'): string | undefined {
    const r = this.released.get(key);
    return r !== undefined && 'handle' in r && r.kind === kind ? r.handle : undefined;
  }

  private record(r: TraceRecord): void {
    if (r.kind === 'lost') this.write(`# L${r.line} CPU ${r.cpu} lost ${r.lost} events here\n`);
    if (r.kind !== 'event') {
      this.checker.apply(r);
      return;
    }
    const where = `L${r.line} ${r.timestamp.toFixed(6)} ${r.task}-${r.pid} cpu${r.cpu}`;
    // Unmaps and syncs need the mapping as it was before the event; maps need the mapping it makes.
    const e = decodeEvent(r);
    const before = this.statementsBefore(r, e);
    this.checker.applyEvent(e, r.line, r.offset, r.timestamp, r.cpu);
    const lines = before ?? this.statementsAfter(e, r.line);
    if (lines.every((l) => l.startsWith('#'))) this.write(`# ${where} ${r.event}: ${r.body}\n`);
    // Notes (comments) go on lines of their own; each statement says where in the trace it comes from.
    for (const l of lines) this.write(l.startsWith('#') ? `${l}\n` : `${l}  # ${where}\n`);
  }

  private dev(name: string): string {
    return this.ids.get(name) ?? name;
  }

  /** The statements of a release or sync `e` (the event of `r`), made before the checker applies it; undefined for other events. */
  private statementsBefore(r: TraceRecord, e: DmaEvent): string[] | undefined {
    const key = 'dma' in e ? `${e.device} ${e.dma}` : '';
    switch (e.op) {
      case 'unmap': {
        const m = this.checker.mappingOf(e);
        if (m?.kind === 'single') return this.releases(m, e.size, e.dir, e.attrs);
        if (m) return this.wrongRelease(r.event, m, 'an sg list', 'the list is unmapped');
        const c = this.coherent.get(key);
        if (c) return [kindMismatch(r.event, c, 'a coherent buffer', 'it is freed'), this.freeCoherent(key, e.device, c)];
        const h = this.releasedAs(key, 'single');
        return h ? [`dma_unmap_single(${this.dev(e.device)}, ${h}, ${e.size}, ${e.dir}${skip(e.attrs)})`] : [];
      }
      case 'unmap_sg': {
        const m = this.checker.mappingOf(e);
        if (m) return this.releases(m, 0, e.dir, e.attrs);
        // A list the trace unmapped already: its entries' old handles, for check's double unmap.
        const gone = this.released.get(`${e.device} list ${e.phys[0]}`);
        return gone?.kind === 'sg-list' ? gone.entries.map((h) => `dma_unmap_sg(${this.dev(e.device)}, ${h}, ${e.dir}${skip(e.attrs)})`) : [];
      }
      case 'sync': {
        const sync = `dma_sync_single_for_${e.forCpu ? 'cpu' : 'device'}`;
        const seg = this.checker.device(e.device).segmentAt(e.dma);
        const h = seg && seg.mapping.kind === 'single' ? this.bindings.get(seg.mapping.id) : undefined;
        if (!seg) {
          const gone = this.releasedAs(key, 'single');
          return gone ? [`${sync}(${this.dev(e.device)}, ${gone}, ${e.size}, ${e.dir})`] : [];
        }
        if (!h) return [];
        const off = e.dma - seg.dma;
        return [`${sync}(${this.dev(e.device)}, ${h}, ${e.size}, ${e.dir}${off ? `, offset=${off}` : ''})`];
      }
      case 'sync_sg': {
        const sync = (h: string): string => `dma_sync_sg_for_${e.forCpu ? 'cpu' : 'device'}(${this.dev(e.device)}, ${h}, ${e.dir})`;
        const m = this.checker.mappingOf(e);
        // The entries the trace syncs, not the whole list.
        const synced = e.dmas.filter((_, i) => e.sizes[i] > 0);
        if (m?.kind === 'sg') return this.perSegment(m, m.segments.filter((s) => synced.includes(s.dma)), sync);
        if (m) return [];
        // A list the trace unmapped: its entries' old handles.
        return synced.map((dma) => this.releasedAs(`${e.device} ${dma}`, 'sg')).filter((h) => h !== undefined).map(sync);
      }
      case 'free': {
        const c = this.coherent.get(key);
        if (c) return e.api === 'coherent' ? [this.freeCoherent(key, e.device, c)] : [];
        const m = this.checker.device(e.device).byDma.get(e.dma)?.mapping;
        if (m) return this.wrongRelease(r.event, m, 'a streaming mapping', 'it is unmapped');
        const h = e.api === 'coherent' ? this.releasedAs(key, 'coherent') : undefined;
        return h ? [`dma_free_coherent(${this.dev(e.device)}, ${h})`] : [];
      }
    }
    return undefined;
  }

  private statementsAfter(e: DmaEvent, line: number): string[] {
    if (e.op === 'map' && e.dma !== DMA_MAPPING_ERROR && e.size > 0 && valid(e.dir)) {
      const m = this.checker.device(e.device).byDma.get(e.dma)?.mapping;
      if (!m) return [];
      const h = `m${line}`;
      this.bindings.set(m.id, h);
      this.open.set(m.id, m);
      return [...this.buffer(e.phys, e.size), `${h} = dma_map_single(${this.dev(e.device)}, ${bufferName(e.phys, e.size)}, ${e.size}, ${e.dir}${skip(e.attrs)})`];
    }
    if (e.op === 'map_sg' && valid(e.dir)) {
      const m = this.checker.device(e.device).sgByPhys.get(e.phys[0])?.at(-1);
      if (!m) return [];
      this.bindings.set(m.id, `sg${line}`);
      this.open.set(m.id, m);
      const out: string[] = [];
      for (const s of m.segments) {
        if (!(s.size > 0) || Number.isNaN(s.phys)) continue;
        out.push(...this.buffer(s.phys, s.size), `${segName(`sg${line}`, m, s)} = dma_map_sg(${this.dev(e.device)}, ${bufferName(s.phys, s.size)}, ${e.dir}${skip(e.attrs)})`);
      }
      if (m.truncated) out.push(`# the trace shows ${m.segments.length} of the list's ${m.nents} entries ([TRUNCATED])`);
      return out;
    }
    if (e.op === 'alloc' && !e.failed && e.size > 0 && SCENARIO_CALL[e.api]) {
      const h = `c${line}`;
      this.coherent.set(`${e.device} ${e.dma}`, h);
      return [`${h} = ${SCENARIO_CALL[e.api]}(${this.dev(e.device)}, ${e.size})  # trace dma address ${hex(e.dma)}`];
    }
    return [];
  }

  /** One statement per mapped segment of `segments` (of `m`): the language maps one contiguous range per `dma_map_sg`. */
  private perSegment(m: StreamingMapping, segments: Segment[], stmt: (handle: string, s: Segment) => string): string[] {
    const base = this.bindings.get(m.id);
    if (!base) return [];
    return segments.filter((s) => s.size > 0 && !Number.isNaN(s.phys)).map((s) => stmt(segName(base, m, s), s));
  }

  private buffer(phys: number, size: number): string[] {
    const name = bufferName(phys, size);
    if (this.buffers.has(name)) return [];
    this.buffers.add(name);
    return [`${name} = phys(${hex(phys)}, ${size})`];
  }
}

/** The note on a release of the wrong kind: check-trace reports it, a scenario cannot say it. */
function kindMismatch(event: string, handle: string, what: string, instead: string): string {
  return `# ${event} of ${handle}, ${what}: the kind-mismatch check-trace reports, which a scenario's types forbid, so ${instead}`;
}

function valid(dir: TraceDirection): boolean {
  return dir !== 'NONE';
}

function skip(attrs: string): string {
  return hasAttr(attrs, 'SKIP_CPU_SYNC') ? ', SKIP_CPU_SYNC' : '';
}

function bufferName(phys: number, size: number): string {
  return `p_${phys.toString(16)}_${size}`;
}

function segName(base: string, m: StreamingMapping, s: Segment): string {
  return m.segments.length === 1 ? base : `${base}_${s.index}`;
}
