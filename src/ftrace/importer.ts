// Turns a capture's DMA calls into a `.dmabuf` scenario: devices declared from the trace's device names, `phys()`
// ranges for the buffers, one statement per event with its line, timestamp and task as a comment, so that a user
// can add the CPU and device accesses a trace cannot show and run the full coherency checks.
import { notACaptureReason } from './captureForms';
import { TraceChecker, type Outcome } from './checker';
import { decodeEvent, type DmaEvent, type TraceDirection } from './events';
import { EventStream } from './eventStream';
import { DMA_MAPPING_ERROR } from './recordLayout';
import { entryOf, hasAttr, hex, type Allocation, type Released, type Segment, type StreamingMapping } from './mappings';
import { deviceIdentifiers } from './names';
import type { TraceFinding } from './findings';
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

/**
 * Checks of check-trace that `check` of an imported scenario cannot make, as the language has no way to write the
 * event (a failed map, a count of sg entries, a free's size and CPU address) or no such check (dma-debug's
 * overlapping mappings of a cache line): a comment at the event says what check-trace finds there.
 */
const UNWRITTEN = new Set(['overlapping-mapping', 'sg-count-mismatch', 'map-error', 'unmap-failed-mapping', 'cpu-address-mismatch']);
/** Unwritten of a free only: `dma_free_coherent` takes no size (an unmap's size is written). */
const UNWRITTEN_OF_FREE = 'size-mismatch';

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

/** Emits statements while a checker follows the trace, so that unmaps and syncs find the binding of their mapping. */
class ScenarioWriter {
  /**
   * Its release logs keep what each release released: a release or sync of what the trace released already names the
   * old handle only when check-trace decides it a bug (`outcomeOf`: no events lost between), so that `check` finds what it finds.
   */
  private readonly checker = new TraceChecker((f) => this.found(f), { keepReleased: true });
  /** What check-trace finds at the event being written that `check` of the scenario cannot (`UNWRITTEN`). */
  private readonly unwritten: TraceFinding[] = [];
  private readonly bindings = new Map<number, string>();
  /** The handles of the allocations written (held while the checker holds the allocation). */
  private readonly allocations = new WeakMap<Allocation, string>();
  private readonly buffers = new Set<string>();
  /** The lines of maps check-trace finds never unmapped (missing-unmap): their address was mapped again with no events lost. */
  private readonly leaked = new Set<number>();
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
    const allocated = [...this.checker.devices.values()].flatMap((d) => [...d.coherent.values()]).filter((a) => this.allocations.has(a));
    if (this.open.size === 0 && allocated.length === 0) return;
    this.write('# The trace ends here. It is a window: what it leaves mapped or allocated may be released after the capture\n');
    this.write('# stopped, and dma-direct skips the unmaps it does not need (dma_need_unmap() is false). The releases below\n');
    this.write('# are not in the trace: they let `dmabuf check` report what the trace decides; delete them to see leaks.\n');
    for (const m of this.open.values()) {
      const live = this.checker.device(m.device).byDma.get(m.segments[0].dma)?.mapping === m;
      if (!live && this.leaked.has(m.origin.line)) {
        // A leak the trace decides: left mapped, so that `check` reports it at the map, as check-trace does.
        this.write(`# ${this.bindings.get(m.id)} (mapped at L${m.origin.line}) is not released: its address was mapped again with no unmap between, the leak (missing-unmap) check-trace reports\n`);
        continue;
      }
      const why = live ? `mapped at L${m.origin.line}, still mapped when the trace ended` : `mapped at L${m.origin.line}, never unmapped: its address was mapped again (dma-direct skips the unmap, or events were lost)`;
      for (const l of this.releases(m)) this.write(`${l}  # ${why}\n`);
    }
    for (const a of allocated) for (const l of this.frees(a)) this.write(`${l}  # still allocated when the trace ended\n`);
  }

  /** The statements that release mapping `m` (one per segment of an sg list), as its unmap in the trace would (or did, for a second). */
  private releases(m: StreamingMapping, size = m.segments[0].size, dir = m.dir, attrs = m.attrs): string[] {
    this.open.delete(m.id);
    if (m.kind === 'sg') return this.perSegment(m, m.segments, (h) => `dma_unmap_sg(${this.dev(m.device)}, ${h}, ${dir}${skip(attrs)})`);
    const h = this.bindings.get(m.id);
    return h ? [`dma_unmap_single(${this.dev(m.device)}, ${h}, ${size}, ${dir}${skip(attrs)})`] : [];
  }

  /** The release of `m` by `event`, which the checker takes for a release of the wrong kind (as dma-debug does). */
  private wrongRelease(event: string, m: StreamingMapping, what: string, instead: string): string[] {
    const h = this.bindings.get(m.id);
    return h ? [kindMismatch(event, h, what, instead), ...this.releases(m)] : [];
  }

  /** The statement that frees allocation `a`, if the scenario has it, noted as the release of the wrong kind by `wrongEvent` if given. */
  private frees(a: Allocation, wrongEvent?: string): string[] {
    const h = this.allocations.get(a);
    if (!h) return [];
    const free = `dma_free_coherent(${this.dev(a.device)}, ${h})`;
    return wrongEvent ? [kindMismatch(wrongEvent, h, 'a coherent buffer', 'it is freed'), free] : [free];
  }

  /**
   * The sync of [dma, +size) by `e` (a single sync, or entry `entry` of an sg sync) as check-trace's handler finds
   * it (`outcome`), in whichever kind the scenario names that mapping: a live single mapping (a dma-direct one taken
   * as dropped too: the scenario still has it mapped), the segment of a live list check-trace found, or a mapping
   * the trace unmapped already, through its old handle; of a list that gives `dma` twice, the sync's own entry
   * (`entryOf`). (A scenario's sg sync takes no size: an entry that overruns its segment is synced without the
   * overrun.)
   */
  private syncs(e: Extract<DmaEvent, { op: 'sync' | 'sync_sg' }>, dma: number, size: number, outcome: Outcome | undefined, entry?: number): string[] {
    const dev = this.dev(e.device);
    if (outcome?.kind === 'again') {
      const what = outcome.release.what;
      const gone = what && 'mapping' in what ? entryOf(what, dma, size, entry) : what;
      const single = this.handleOf(gone, 'single');
      const listEntry = single ? undefined : this.handleOf(gone, 'sg');
      return single ? [syncStatement(e, 'single', dev, single, size)] : listEntry ? [syncStatement(e, 'sg', dev, listEntry)] : [];
    }
    const m = outcome?.kind === 'live' && 'segments' in outcome.what ? outcome.what : undefined;
    const base = m && this.bindings.get(m.id);
    if (!m || !base) return [];
    if (m.kind === 'single') return [syncStatement(e, 'single', dev, base, size, dma - m.segments[0].dma)];
    const s = outcome?.kind === 'live' ? outcome.segment : undefined;
    if (!s || !written(s)) return [];
    const name = segName(base, m, s);
    const part = dma > s.dma || size < s.size
      ? [`# the trace syncs ${size} bytes at offset ${dma - s.dma} of ${name}; a scenario's sg sync takes no range, so the whole entry is synced`]
      : [];
    return [...part, syncStatement(e, 'sg', dev, name)];
  }

  /** The handle of `x`, if it is a segment of a mapping of `kind` the scenario has. */
  private handleOf(x: Released | undefined, kind: 'single' | 'sg'): string | undefined {
    if (x === undefined || !('mapping' in x) || x.mapping.kind !== kind || !written(x)) return undefined;
    const base = this.bindings.get(x.mapping.id);
    return base && segName(base, x.mapping, x);
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
    if (this.unwritten.length > 0) {
      for (const f of this.unwritten) {
        if (f.detail === UNWRITTEN_OF_FREE && e.op !== 'free') continue;
        this.write(`# check-trace finds ${f.kind} (${f.detail}) here, which \`check\` of this scenario cannot: ${f.message}\n`);
      }
      this.unwritten.length = 0;
    }
    // Notes (comments) go on lines of their own; each statement says where in the trace it comes from.
    for (const l of lines) this.write(l.startsWith('#') ? `${l}\n` : `${l}  # ${where}\n`);
  }

  private found(f: TraceFinding): void {
    if (f.detail === 'missing-unmap') this.leaked.add(f.line);
    else if (UNWRITTEN.has(f.detail) || f.detail === UNWRITTEN_OF_FREE) this.unwritten.push(f);
  }

  private dev(name: string): string {
    return this.ids.get(name) ?? name;
  }

  /**
   * The statements of a release or sync `e` (the event of `r`), made before the checker applies it; undefined for
   * other events. What it releases or syncs, or releases or syncs again, is what the checker's handler will find
   * (`outcomeOf`), so that the scenario names what check-trace names.
   */
  private statementsBefore(r: TraceRecord, e: DmaEvent): string[] | undefined {
    switch (e.op) {
      case 'unmap': {
        const o = this.checker.outcomeOf(e);
        if (o?.kind === 'again') {
          const h = this.handleOf(o.release.what, 'single');
          return h ? [`dma_unmap_single(${this.dev(e.device)}, ${h}, ${e.size}, ${e.dir}${skip(e.attrs)})`] : [];
        }
        if (o?.kind !== 'live') return [];
        const x = o.what;
        if ('api' in x) return this.frees(x, r.event);
        return x.kind === 'single' ? this.releases(x, e.size, e.dir, e.attrs) : this.wrongRelease(r.event, x, 'an sg list', 'the list is unmapped');
      }
      case 'unmap_sg': {
        const o = this.checker.outcomeOf(e);
        if (o?.kind === 'live') return this.releases(o.what, 0, e.dir, e.attrs);
        // A dma-direct single mapping at the list's first address: check-trace reports the wrong kind and leaves it mapped.
        const h = o?.kind === 'kept' ? this.bindings.get(o.what.id) : undefined;
        if (h) return [kindMismatch(r.event, h, 'a single mapping', 'it stays mapped')];
        // A list the trace unmapped already: its first entry again stands for it, one double unmap as check-trace finds.
        const gone = o?.kind === 'again' ? o.release.what : undefined;
        return gone && 'mapping' in gone ? this.releases(gone.mapping, 0, e.dir, e.attrs).slice(0, 1) : [];
      }
      case 'sync':
        return this.syncs(e, e.dma, e.size, this.checker.outcomeOf(e));
      case 'sync_sg':
        // One statement per entry, as check-trace checks each.
        return e.dmas.flatMap((dma, i) => this.syncs(e, dma, e.sizes[i], this.checker.outcomeOf(e, i), i));
      case 'free': {
        const wrong = e.api === 'coherent' ? undefined : r.event;
        const o = this.checker.outcomeOf(e);
        if (o?.kind === 'live') return 'api' in o.what ? this.frees(o.what, wrong) : this.wrongRelease(r.event, o.what, 'a streaming mapping', 'it is unmapped');
        const gone = o?.kind === 'again' ? o.release.what : undefined;
        return gone && 'api' in gone && !wrong ? this.frees(gone) : [];
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
        if (!written(s)) continue;
        out.push(...this.buffer(s.phys, s.size), `${segName(`sg${line}`, m, s)} = dma_map_sg(${this.dev(e.device)}, ${bufferName(s.phys, s.size)}, ${e.dir}${skip(e.attrs)})`);
      }
      if (m.truncated) out.push(`# the trace shows ${m.segments.length} of the list's ${m.nents} entries ([TRUNCATED])`);
      return out;
    }
    if (e.op === 'alloc' && !e.failed && e.size > 0 && SCENARIO_CALL[e.api]) {
      const a = this.checker.device(e.device).coherent.get(e.dma);
      if (!a) return [];
      const h = `c${line}`;
      this.allocations.set(a, h);
      return [`${h} = ${SCENARIO_CALL[e.api]}(${this.dev(e.device)}, ${e.size})  # trace dma address ${hex(e.dma)}`];
    }
    return [];
  }

  /** One statement per mapped segment of `segments` (of `m`): the language maps one contiguous range per `dma_map_sg`. */
  private perSegment(m: StreamingMapping, segments: Segment[], stmt: (handle: string, s: Segment) => string): string[] {
    const base = this.bindings.get(m.id);
    if (!base) return [];
    return segments.filter(written).map((s) => stmt(segName(base, m, s), s));
  }

  private buffer(phys: number, size: number): string[] {
    const name = bufferName(phys, size);
    if (this.buffers.has(name)) return [];
    this.buffers.add(name);
    return [`${name} = phys(${hex(phys)}, ${size})`];
  }
}

/** A scenario's sync of `handle` for the CPU or the device as `e` syncs: a single mapping's takes the bytes and where. */
function syncStatement(e: { forCpu: boolean; dir: string }, kind: 'single' | 'sg', dev: string, handle: string, size = 0, offset = 0): string {
  const call = `dma_sync_${kind}_for_${e.forCpu ? 'cpu' : 'device'}`;
  return kind === 'sg' ? `${call}(${dev}, ${handle}, ${e.dir})` : `${call}(${dev}, ${handle}, ${size}, ${e.dir}${offset ? `, offset=${offset}` : ''})`;
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

/** Whether the scenario has segment `s`: the trace showed its size and memory. */
function written(s: Segment): boolean {
  return s.size > 0 && !Number.isNaN(s.phys);
}

function segName(base: string, m: StreamingMapping, s: Segment): string {
  return m.segments.length === 1 ? base : `${base}_${s.index}`;
}
