// The machine's state as Variables-view nodes: buffers (owner by range, pages, bytes), dma-bufs with their
// attachments, mappings with their sg tables and bounce slots, cache lines, devices and hazards.
// Everything here only reads the state: evaluating a hover never changes the machine.
import { failedCall, failedHandleOrigin, failedResult, failedText } from '../machine/failedCalls';
import { describeDevice } from '../machine/device';
import { dmaBufViews, type DmaBufView } from '../machine/dmabufInspect';
import type { Hazard } from '../machine/hazards';
import { ownerLabel, ownersIn } from '../machine/ownership';
import type { Buffer, Handle, MachineState, Mapping } from '../machine/state';
import { cpuRuns, previewOf } from './cpuBytes';
import type { ValueNode } from './engine';
import { group, hex, indexed, leaf } from './valueNodes';

const range = (off: number, len: number): string => `[${hex(off)}, +${hex(len)})`;

/** Watch ids: what a data breakpoint set on a node watches. */
export const watchId = {
  owner: (buffer: number): string => `owner:${buffer}`,
  line: (phys: number): string => `line:${phys}`,
  bytes: (buffer: number, off: number, len: number): string => `bytes:${buffer}:${off}:${len}`,
};

export class MachineNodes {
  constructor(private readonly s: MachineState) {}

  /** `cpu`, `none` once released, or each distinct owner with its ranges when they differ. */
  ownerSummary(b: Buffer): string {
    if (!b.live) return 'none';
    const ranges = ownersIn(b, 0, b.size);
    if (ranges.length === 1) return ownerLabel(ranges[0].pairs);
    const shown = ranges.slice(0, 4).map((r) => `${ownerLabel(r.pairs)} ${range(r.off, r.len)}`);
    return shown.join('; ') + (ranges.length > 4 ? `; ... (${ranges.length} ranges)` : '');
  }

  private dmabufOf(bufferId: number): DmaBufView | undefined {
    return this.dmabufs().find((d) => d.buffer === bufferId);
  }

  dmabufs(): DmaBufView[] {
    return 'dmabuf' in this.s ? dmaBufViews(this.s) : [];
  }

  bufferNode(name: string, b: Buffer): ValueNode {
    const dmabuf = this.dmabufOf(b.id);
    const label = dmabuf ? dmabuf.name : `${b.kind} #${b.id}`;
    return group(name, `${label}, ${b.size} bytes, ${b.failed ? failedText(b) : `owner ${this.ownerSummary(b)}`}`, () => this.bufferFields(b, dmabuf), {
      type: b.kind,
      memoryReference: `cpu:${b.id}`,
    });
  }

  private bufferFields(b: Buffer, dmabuf: DmaBufView | undefined): ValueNode[] {
    const owners = ownersIn(b, 0, b.size);
    const fields: ValueNode[] = [
      leaf('size', `${b.size} (${hex(b.size)})`),
      leaf('kind', b.kind + (b.cacheable ? '' : ' (uncached)')),
      leaf('owner', this.ownerSummary(b), { dataId: watchId.owner(b.id) }),
      indexed('owners', `${owners.length} range(s)`, owners.length, (i) => {
        const r = owners[i];
        return leaf(`[${i}]`, `${range(r.off, r.len)} ${ownerLabel(r.pairs)}`);
      }),
      indexed('pages', `${b.segs.length} physical run(s)`, b.segs.length, (i) => leaf(`[${i}]`, `phys ${hex(b.segs[i].phys)}, ${hex(b.segs[i].len)} bytes`)),
      leaf('bytes', previewOf(cpuRuns(this.s, b, 0, Math.min(b.size, 16))), { memoryReference: `cpu:${b.id}`, dataId: watchId.bytes(b.id, 0, b.size) }),
      leaf('memory', previewOf(cpuRuns(this.s, b, 0, Math.min(b.size, 16), false)), { memoryReference: `mem:${b.id}` }),
      leaf('created', `line ${b.createdAt.line}`),
    ];
    if (b.device) fields.push(leaf('device', b.device));
    if (b.failed) fields.push(leaf(failedCall(b), failedResult(b)));
    else if (!b.live) fields.push(leaf('released', b.releasedAt ? `line ${b.releasedAt.line}` : 'yes'));
    if (dmabuf) fields.push(...this.dmabufFields(dmabuf));
    const maps = [...this.s.mappings.values()].filter((m) => m.buffer === b.id);
    fields.push(indexed('mappings', `${maps.filter((m) => m.live).length} live`, maps.length, (i) => this.mappingNode(`[${i}]`, maps[i])));
    return fields;
  }

  private dmabufFields(d: DmaBufView): ValueNode[] {
    return [
      leaf('exporter', d.exporter),
      leaf('refcount', d.refcount),
      leaf('cpu_access', d.cpuAccess > 0 ? `open (${d.cpuAccess})` : 'closed'),
      indexed('attachments', `${d.attachments.filter((a) => a.live).length} live`, d.attachments.length, (i) => this.attachmentNode(`[${i}]`, d.attachments[i])),
      leaf('vmaps', `${d.vmaps.filter((v) => v.live).length} live`),
      leaf('mmaps', `${d.mmaps.filter((v) => v.live).length} live`),
    ];
  }

  attachmentNode(name: string, a: DmaBufView['attachments'][number]): ValueNode {
    return group(name, `${a.device}${a.live ? '' : ' (detached)'}, ${a.mappings.length} mapping(s)`, () =>
      a.mappings.map((m, i) => {
        const target = this.s.handles.get(m.sgt);
        const mapping = target && 'mapping' in target ? this.s.mappings.get(target.mapping) : undefined;
        return mapping ? this.mappingNode(`[${i}]`, mapping) : leaf(`[${i}]`, `${m.dir}, line ${m.mappedAt.line}`);
      }),
    );
  }

  mappingNode(name: string, m: Mapping): ValueNode {
    const state = m.failed ? 'failed' : m.live ? 'live' : 'unmapped';
    return group(name, `${m.kind} for ${m.device} ${m.dir}, ${m.size} bytes, ${state}`, () => this.mappingFields(m), {
      type: m.kind === 'sg' ? 'sg_table' : 'dma_addr_t',
      at: (i) => this.sgEntry(m, i),
    });
  }

  private mappingFields(m: Mapping): ValueNode[] {
    const fields: ValueNode[] = [
      leaf('device', m.device),
      leaf('dir', m.dir),
      leaf('dma_address', hex(m.dmaAddress)),
      leaf('size', m.size),
      leaf('buffer', `#${m.buffer} at offset ${hex(m.off)}`),
      leaf('state', m.failed ? 'failed' : m.live ? 'live' : `unmapped${m.releasedAt ? ` at line ${m.releasedAt.line}` : ''}`),
    ];
    const sg = m.sg;
    if (sg) {
      fields.push(leaf('nents', sg.nents), leaf('orig_nents', sg.orig_nents));
      fields.push(indexed('sgl', `${sg.entries.length} entries`, sg.entries.length, (i) => this.sgEntry(m, i)!));
    }
    const slots = this.s.swiotlb.active.filter((b) => b.mapping === m.id);
    const bounced = m.segs.filter((g) => g.bounced);
    fields.push(
      indexed('bounce_slots', slots.length ? `${slots.length} slot range(s)` : bounced.length ? `${bounced.length} bounced piece(s)` : 'none', Math.max(slots.length, bounced.length), (i) =>
        slots[i] ? leaf(`[${i}]`, `slot ${hex(slots[i].slot)} for ${hex(slots[i].orig)}, ${hex(slots[i].len)} bytes`) : leaf(`[${i}]`, `slot ${hex(bounced[i].target)} for ${hex(bounced[i].phys)}, ${hex(bounced[i].len)} bytes`),
      ),
    );
    return fields;
  }

  private sgEntry(m: Mapping, i: number): ValueNode | undefined {
    const e = m.sg?.entries[i];
    if (!e) return undefined;
    return group(`[${i}]`, `phys ${hex(e.phys)} +${hex(e.length)} -> dma ${hex(e.dma_address)} +${hex(e.dma_length)}`, () => [
      leaf('phys', hex(e.phys)),
      leaf('length', hex(e.length)),
      leaf('dma_address', hex(e.dma_address)),
      leaf('dma_length', hex(e.dma_length)),
    ]);
  }

  /** A binding's handle: the buffer, mapping, dma-buf or attachment it names. */
  handleNode(name: string, h: Handle): ValueNode {
    const t = this.s.handles.get(h.id);
    if (!t) return leaf(name, `${h.type} #${h.id} (${h.failedAt ? failedHandleOrigin(h.failedAt) : 'unknown'})`);
    if ('buffer' in t) {
      const b = this.s.buffers.get(t.buffer);
      return b ? this.bufferNode(name, b) : leaf(name, `${h.type} #${h.id} (released)`);
    }
    if ('mapping' in t) {
      const m = this.s.mappings.get(t.mapping);
      return m ? this.mappingNode(name, m) : leaf(name, `${h.type} #${h.id} (released)`);
    }
    const d = this.dmabufs();
    if (t.type === 'dmabuf') {
      const view = d.find((x) => x.id === t.other);
      const b = view?.buffer !== undefined ? this.s.buffers.get(view.buffer) : undefined;
      if (b) return this.bufferNode(name, b);
      return view ? group(name, `${view.name}, ${view.size} bytes, no pages yet`, () => this.dmabufFields(view)) : leaf(name, `dma-buf #${t.other}`);
    }
    for (const view of d) {
      const a = view.attachments.find((x) => x.id === t.other);
      if (a) return this.attachmentNode(name, a);
    }
    return leaf(name, `attachment #${t.other}`);
  }

  /** The buffer a handle reaches, for `buf[i]`, memory references and `cache.line(buf, off)`. */
  bufferOf(h: Handle): Buffer | undefined {
    const t = this.s.handles.get(h.id);
    if (!t) return undefined;
    if ('buffer' in t) return this.s.buffers.get(t.buffer);
    if ('mapping' in t) {
      const m = this.s.mappings.get(t.mapping);
      return m && this.s.buffers.get(m.buffer);
    }
    if (t.type === 'dmabuf') {
      const view = this.dmabufs().find((x) => x.id === t.other);
      return view?.buffer !== undefined ? this.s.buffers.get(view.buffer) : undefined;
    }
    return undefined;
  }

  buffersNode(): ValueNode {
    const all = [...this.s.buffers.values()];
    const live = all.filter((b) => b.live).length;
    return indexed('Buffers', `${live} live of ${all.length}`, all.length, (i) => this.bufferNode(`#${all[i].id}`, all[i]));
  }

  mappingsNode(): ValueNode {
    const dmabufs = this.dmabufs();
    const maps = [...this.s.mappings.values()];
    return group('Attachments and mappings', `${dmabufs.reduce((n, d) => n + d.attachments.length, 0)} attachment(s), ${maps.length} mapping(s)`, () => [
      ...dmabufs.flatMap((d) => d.attachments.map((a) => this.attachmentNode(`attachment #${a.id} of dma-buf #${d.id}`, a))),
      ...maps.map((m) => this.mappingNode(`mapping #${m.id}`, m)),
    ]);
  }

  devicesNode(): ValueNode {
    const devices = [...this.s.devices.values()];
    return group('Devices', `${devices.length}`, () =>
      devices.map((d) => {
        const maps = [...this.s.mappings.values()].filter((m) => m.device === d.name && m.live);
        return group(d.name, describeDevice(d), () => [
          leaf('coherent', String(d.coherent)),
          leaf('iommu', String(d.iommu)),
          leaf('contiguous', String(d.contiguous)),
          leaf('dma_mask', `${d.dmaMask} bits`),
          leaf('max_segment_size', d.maxSegmentSize ? hex(d.maxSegmentSize) : 'none'),
          leaf('segment_boundary', d.segmentBoundary !== undefined ? hex(d.segmentBoundary) : 'none'),
          indexed('live mappings', `${maps.length}`, maps.length, (i) => this.mappingNode(`[${i}]`, maps[i])),
        ]);
      }),
    );
  }

  /** The valid lines of the cache, paged; each with its set, way, tag, state, data and owning buffer. */
  cacheNode(): ValueNode {
    const c = this.s.cache;
    const valid: number[] = [];
    let dirty = 0;
    for (let i = 0; i < c.tags.length; i++) {
      if (c.states[i] !== 0) valid.push(i);
      if (c.states[i] === 2) dirty++;
    }
    const summary = `${c.sets} sets x ${c.ways} ways of ${c.line} bytes; ${valid.length} valid, ${dirty} dirty`;
    return indexed('CPU cache', summary, valid.length, (k) => this.lineNode(`[${k}]`, valid[k]));
  }

  lineIndexAt(phys: number): number {
    const c = this.s.cache;
    const tag = Math.floor(phys / c.line);
    const base = (tag % c.sets) * c.ways;
    for (let w = 0; w < c.ways; w++) if (c.tags[base + w] === tag) return base + w;
    return -1;
  }

  lineState(phys: number): string {
    const i = this.lineIndexAt(phys);
    return i < 0 ? 'Invalid' : ['Invalid', 'Clean', 'Dirty'][this.s.cache.states[i]];
  }

  /** Line `idx` of the cache, or (idx < 0) the absent line at `phys`. */
  lineNode(name: string, idx: number, phys?: number): ValueNode {
    const c = this.s.cache;
    const linePhys = idx >= 0 ? c.tags[idx] * c.line : Math.floor((phys ?? 0) / c.line) * c.line;
    const state = idx >= 0 ? ['Invalid', 'Clean', 'Dirty'][c.states[idx]] : 'Invalid';
    const owner = this.bufferAtPhys(linePhys);
    const data = idx >= 0 && c.data[idx] ? previewOf(c.data[idx]!.slice(0, 16)) : '(not cached)';
    const set = Math.floor(linePhys / c.line) % c.sets;
    return group(name, `${hex(linePhys)} ${state}${owner ? ` (${owner})` : ''}`, () => [
      leaf('set', set),
      leaf('way', idx >= 0 ? idx % c.ways : '-'),
      leaf('tag', hex(Math.floor(linePhys / c.line))),
      leaf('phys', hex(linePhys)),
      leaf('state', state, { dataId: watchId.line(linePhys) }),
      leaf('data', data),
      leaf('buffer', owner ?? 'none'),
    ]);
  }

  /** The live buffer holding physical address `phys`, with the offset there. */
  bufferAtPhys(phys: number): string | undefined {
    for (const b of this.s.buffers.values()) {
      if (!b.live) continue;
      let off = 0;
      for (const g of b.segs) {
        if (phys >= g.phys && phys < g.phys + g.len) return `#${b.id} +${hex(off + phys - g.phys)}`;
        off += g.len;
      }
    }
    return undefined;
  }
}

export function hazardsNode(hazards: readonly Hazard[]): ValueNode {
  const unexpected = hazards.filter((h) => !h.expected).length;
  return indexed('Hazards', `${hazards.length} raised, ${unexpected} unexpected`, hazards.length, (i) => {
    const h = hazards[i];
    return group(`[${i}] ${h.kind}`, `line ${h.loc.line}${h.expected ? ' (expected)' : ''}: ${h.message}`, () => [
      leaf('kind', h.kind),
      leaf('line', h.loc.line),
      leaf('message', h.message),
      ...h.related.map((r, k) => leaf(`related[${k}]`, `line ${r.loc.line}: ${r.message}`)),
    ]);
  });
}
